package state

import (
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// Gas, simplified (documented in the README): a message costs a fixed
// base, a charge per byte of its serialised form, and a charge per method
// that verifies proofs. The same function serves execution and
// GasEstimateMessageGas, so an estimate is exact. The amounts are small
// enough that a plain transfer fits the 25,000 gas of the published
// secp256k1 message vectors.
const (
	GasBase        = 10_000
	GasPerByte     = 10
	GasProofVerify = 1_000_000
)

// proofMethods are the miner methods that verify proofs, by number.
var proofMethods = map[uint64]bool{5: true, 34: true}

// ProofMessage reports whether m calls a miner method that carries and
// verifies proofs (SubmitWindowedPoSt, ProveCommitSectors3).
func (s *State) ProofMessage(m *ftypes.Message) bool {
	to, err := s.Lookup(m.To)
	return err == nil && s.Actors[to].Kind == KindMiner && proofMethods[m.Method]
}

// GasUsed returns the gas a message of msgSize bytes uses.
func (s *State) GasUsed(m *ftypes.Message, msgSize int) int64 {
	g := int64(GasBase) + int64(GasPerByte)*int64(msgSize)
	if s.ProofMessage(m) {
		g += GasProofVerify
	}
	return g
}

// CheckMessage reports why the state cannot execute a message now (the
// message pool's and block builder's check), or nil: the sender must be an
// account with the message's nonce and funds for value and gas at its fee
// cap, the fee cap must cover the base fee, and the gas limit must cover
// the message.
func (s *State) CheckMessage(m *ftypes.Message, msgSize int, baseFee big.TokenAmount) *Abort {
	from, err := s.Lookup(m.From)
	if err != nil {
		return Abortf(ExitSysSenderInvalid, "sender %s: actor not found", m.From)
	}
	a := s.Actors[from]
	if a.Kind != KindAccount {
		return Abortf(ExitSysSenderInvalid, "sender %s is not an account", m.From)
	}
	if m.Nonce != a.Nonce {
		return Abortf(ExitSysSenderStateInvalid, "nonce %d, the sender's next nonce is %d", m.Nonce, a.Nonce)
	}
	if m.GasFeeCap.Cmp(baseFee) < 0 {
		return Abortf(ExitSysSenderStateInvalid, "gas fee cap %s below the base fee %s", m.GasFeeCap.AttoString(), baseFee.AttoString())
	}
	if used := s.GasUsed(m, msgSize); m.GasLimit < used {
		return Abortf(ExitSysOutOfGas, "gas limit %d below the %d the message uses", m.GasLimit, used)
	}
	need := m.Value.Add(m.GasFeeCap.Mul(big.NewInt(m.GasLimit)))
	if a.Balance.Cmp(need) < 0 {
		return Abortf(ExitSysInsufficientFunds, "not enough funds to execute transaction: balance %s, need %s", a.Balance.AttoString(), need.AttoString())
	}
	return nil
}

// ApplyMessage executes one message at env.Epoch: it checks it
// (CheckMessage; a message that fails is not executed and the sender's
// nonce does not move), bumps the nonce, charges gas (base fee × gas used
// burned, the premium × gas limit to the reward actor), transfers the
// value and invokes the method. A failing method leaves only the gas
// charge and the nonce.
func (s *State) ApplyMessage(env *Env, m *ftypes.Message, msgSize int) types.MessageReceipt {
	if ab := s.CheckMessage(m, msgSize, env.BaseFee); ab != nil {
		return types.MessageReceipt{ExitCode: ab.Code}
	}
	from, _ := s.Lookup(m.From)
	sender := s.Actors[from]
	sender.Nonce++
	gas := s.GasUsed(m, msgSize)
	premium := big.Min(m.GasPremium.Int, m.GasFeeCap.Int.Sub(env.BaseFee.Int))
	s.transfer(from, BurntFundsID, env.BaseFee.Mul(big.NewInt(gas)))
	s.transfer(from, RewardID, big.TokenAmount{Int: premium.Mul(big.NewInt(m.GasLimit))})

	ret, ab := s.send(env, from, m)
	if ab != nil {
		return types.MessageReceipt{ExitCode: ab.Code, GasUsed: gas}
	}
	return types.MessageReceipt{ExitCode: ExitOk, Return: ret, GasUsed: gas}
}

// send resolves the receiver (creating an account for a new key address),
// transfers the value and invokes the method.
func (s *State) send(env *Env, from uint64, m *ftypes.Message) ([]byte, *Abort) {
	if s.Actors[from].Balance.Cmp(m.Value) < 0 {
		return nil, Abortf(ExitSysInsufficientFunds, "balance below the value sent")
	}
	to, err := s.Lookup(m.To)
	created := false
	if err != nil {
		p := m.To.Protocol()
		if p != address.SECP256K1 && p != address.BLS {
			return nil, Abortf(ExitSysInvalidReceiver, "receiver %s: actor not found", m.To)
		}
		to, created = s.newActor(KindAccount, m.To), true
	}
	s.transfer(from, to, m.Value)
	c := &Call{Env: env, Caller: from, Origin: m.From, Receiver: to, Value: m.Value, Method: m.Method, Params: m.Params}
	ret, ab := s.invoke(c)
	if ab != nil {
		s.transfer(to, from, m.Value)
		if created {
			delete(s.Actors, to)
			delete(s.IDs, m.To.String())
			s.NextID--
		}
		return nil, ab
	}
	return ret, nil
}

// invoke runs method c.Method of the receiver.
func (s *State) invoke(c *Call) ([]byte, *Abort) {
	if c.Method == 0 {
		return nil, nil // a plain transfer
	}
	switch s.Actors[c.Receiver].Kind {
	case KindAccount:
		return s.accountMethod(c)
	case KindPower:
		return s.powerMethod(c)
	case KindMarket:
		return s.marketMethod(c)
	case KindMiner:
		return s.minerMethod(c)
	}
	return nil, Abortf(ExitUnhandledMessage, "invalid method %d for %s actor", c.Method, s.Actors[c.Receiver].Kind)
}

// accountMethod serves the account actor: PubkeyAddress (2) returns the
// key address.
func (s *State) accountMethod(c *Call) ([]byte, *Abort) {
	switch c.Method {
	case 2:
		a := s.Actors[c.Receiver].Address
		return cborBytes(&a)
	}
	return nil, Abortf(ExitUnhandledMessage, "invalid method %d for account actor", c.Method)
}
