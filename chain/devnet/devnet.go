// Package devnet is Strata's embedded development chain: one node that
// produces a tipset of one block every block time (or when a test advances
// its manual clock), keeps a message pool, executes messages with the
// builtin actors of chain/state, persists everything in the store, and
// serves the Lotus-compatible chain.API.
//
// Execution follows Lotus: the messages a tipset includes are executed when
// the next tipset is made, whose ParentStateRoot and ParentMessageReceipts
// are their results; cron runs after each epoch's messages. State queries
// read the head's parent state (the devnet keeps no older states: a query
// naming an older tipset reads the head's state, with that tipset's epoch
// where an epoch matters).
//
// Persistence: each tipset, with the messages it includes and the receipts
// of its parent's messages, is written in one transaction; the state is
// snapshotted every SnapshotEvery epochs. A restart loads the last
// snapshot and re-executes the tipsets after it, so a killed node resumes
// at its last tipset with the same state. Pending messages live in memory
// only: after a restart senders push them again, as with a Lotus node.
package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/chain/state"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Limits.
const (
	// MaxMessageSize bounds a signed message's CBOR (Lotus's MaxMessageSize).
	MaxMessageSize = 64 << 10
	// MaxProofMessageSize bounds instead a message to a miner that carries
	// proofs (SubmitWindowedPoSt, ProveCommitSectors3). On the network
	// those carry SNARKs (192 bytes per PoSt partition or per seal proof
	// partition) and fit in MaxMessageSize; the built-in engine's vanilla
	// proofs, which the devnet verifies instead, hold Merkle paths: about
	// 5 KB per 2 KiB sector in a WindowPoSt, 11 MiB for a full partition
	// of 2,349. The devnet admits them up to this size so that a whole
	// partition is proven in one message, as on the network.
	MaxProofMessageSize = 16 << 20
	// MaxBlockMessages bounds the messages of one block.
	MaxBlockMessages = 10_000
	// MaxPendingPerSender bounds an account's messages in the pool.
	MaxPendingPerSender = 10_000
	// ReplaceByFeeRatio is how much a replacement must raise the premium
	// (Lotus's default, 1.25).
	replaceNum, replaceDen = 125, 100
)

// Config configures a devnet node.
type Config struct {
	// Genesis is used when the store holds no chain yet; afterwards the
	// stored genesis wins.
	Genesis GenesisConfig
	// BlockTime is the time between tipsets; zero means a manual clock:
	// tipsets are made only by Advance.
	BlockTime time.Duration
	// BaseFee is the base fee the node starts with; zero means 1 attoFIL
	// (the network's floor is 100; the devnet's is low enough for messages
	// signed with a fee cap of 1, as the published message vectors are).
	// SetBaseFee changes it while the node runs.
	BaseFee big.TokenAmount
	// SnapshotEvery is the number of epochs between state snapshots; zero
	// means 100.
	SnapshotEvery int64
	// Verifier checks proofs; nil means the built-in engine's.
	Verifier engine.Verifier
	Logger   *slog.Logger
}

// GenesisConfig says what the chain starts with.
type GenesisConfig struct {
	NetworkName string
	Policy      state.Policy
	// Accounts is the number of funded keys made at genesis (secp256k1,
	// the last one BLS when there are two or more).
	Accounts       int
	AccountBalance big.TokenAmount
}

// DefaultGenesis is the devnet's default genesis.
func DefaultGenesis() GenesisConfig {
	return GenesisConfig{
		NetworkName:    "strata-devnet",
		Policy:         state.DevnetPolicy(),
		Accounts:       4,
		AccountBalance: big.MustParseTokenAmount("1000000 FIL"),
	}
}

// NetworkVersion is the network version the devnet reports.
const NetworkVersion types.NetworkVersion = 27

// Node is a running devnet.
type Node struct {
	cfg     Config
	log     *slog.Logger
	db      *store.DB
	baseFee big.TokenAmount

	mu          sync.RWMutex
	st          *state.State            // the head's parent state
	tipsets     []*types.TipSet         // by height
	pendingExec []*ftypes.SignedMessage // the head's messages, executed with the next tipset
	pool        *mpool
	keys        map[address.Address]sig.PrivateKey
	producer    sig.PrivateKey // signs tickets and blocks
	beacon      sig.PrivateKey // signs beacon entries
	headCh      chan struct{}  // closed when the head changes
	subs        map[*subscriber]struct{}
	// pushMu serialises MpoolPushMessage from nonce assignment to push, so
	// that concurrent calls for one sender get consecutive nonces (Lotus
	// locks the sender likewise).
	pushMu sync.Mutex

	stop      chan struct{}
	done      chan struct{}
	runErr    error
	closeMu   sync.Once
	startOnce sync.Once
}

// genesisRecord is what the store keeps of the genesis: the config and the
// keys (the devnet home is the trust boundary of a development chain).
type genesisRecord struct {
	Genesis  GenesisConfig
	Keys     []keyInfo
	Producer keyInfo
	Beacon   keyInfo
	Time     int64
}

// keyInfo is Lotus's KeyInfo: {"Type":"secp256k1"|"bls","PrivateKey":base64}.
type keyInfo struct {
	Type       string
	PrivateKey []byte
}

func toKeyInfo(k sig.PrivateKey) keyInfo {
	t := "secp256k1"
	if k.Type() == sig.BLS {
		t = "bls"
	}
	return keyInfo{Type: t, PrivateKey: k.Bytes()}
}

func (ki keyInfo) key() (sig.PrivateKey, error) {
	switch ki.Type {
	case "secp256k1":
		return sig.NewPrivateKey(sig.Secp256k1, ki.PrivateKey)
	case "bls":
		return sig.NewPrivateKey(sig.BLS, ki.PrivateKey)
	}
	return nil, fmt.Errorf("unknown key type %q", ki.Type)
}

// Open opens the devnet chain in db, creating its genesis on first use, and
// brings its state up to the stored head. Start makes tipsets.
func Open(ctx context.Context, db *store.DB, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Verifier == nil {
		cfg.Verifier = engine.Local{}
	}
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 100
	}
	if cfg.BaseFee.Sign() <= 0 {
		cfg.BaseFee = big.FromAttoFIL(1)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, "chain", sub); err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	n := &Node{cfg: cfg, log: cfg.Logger, db: db, baseFee: cfg.BaseFee, pool: newMpool(),
		keys: map[address.Address]sig.PrivateKey{}, headCh: make(chan struct{}), subs: map[*subscriber]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{})}
	rec, err := n.loadGenesis(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.useKeys(rec); err != nil {
		return nil, err
	}
	if err := n.load(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

// loadGenesis reads the stored genesis, or makes and stores one.
func (n *Node) loadGenesis(ctx context.Context) (*genesisRecord, error) {
	var raw []byte
	err := n.db.QueryRowContext(ctx, `SELECT value FROM chain_meta WHERE name = 'genesis'`).Scan(&raw)
	if err == nil {
		var rec genesisRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("devnet: stored genesis: %w", err)
		}
		return &rec, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	g := n.cfg.Genesis
	if g.NetworkName == "" {
		g = DefaultGenesis()
	}
	rec := &genesisRecord{Genesis: g, Time: time.Now().Unix()}
	for i := range g.Accounts {
		t := sig.Secp256k1
		if i == g.Accounts-1 && g.Accounts >= 2 {
			t = sig.BLS
		}
		k, err := sig.GenerateKey(t, rand.Reader)
		if err != nil {
			return nil, err
		}
		rec.Keys = append(rec.Keys, toKeyInfo(k))
	}
	for _, ki := range []*keyInfo{&rec.Producer, &rec.Beacon} {
		k, err := sig.GenerateKey(sig.BLS, rand.Reader)
		if err != nil {
			return nil, err
		}
		*ki = toKeyInfo(k)
	}
	var accounts []state.GenesisAccount
	for _, ki := range rec.Keys {
		k, err := ki.key()
		if err != nil {
			return nil, err
		}
		a, err := k.Address()
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, state.GenesisAccount{Address: a, Balance: g.AccountBalance})
	}
	st, err := state.NewState(state.Genesis{NetworkName: g.NetworkName, NetworkVersion: NetworkVersion, Policy: g.Policy,
		Accounts: accounts, Reserve: big.MustParseTokenAmount("1000000000 FIL")})
	if err != nil {
		return nil, fmt.Errorf("devnet: %w", err)
	}
	if err := n.useKeys(rec); err != nil {
		return nil, err
	}
	snap, err := st.Snapshot()
	if err != nil {
		return nil, err
	}
	gen, err := n.genesisBlock(st, snap, uint64(rec.Time))
	if err != nil {
		return nil, err
	}
	hb, err := gen.Serialize()
	if err != nil {
		return nil, err
	}
	gc, err := gen.Cid()
	if err != nil {
		return nil, err
	}
	raw, err = json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	err = n.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_meta (name, value) VALUES ('genesis', $1)`, raw); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_tipsets (height, cid, header) VALUES (0, $1, $2)`, gc.String(), hb); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO chain_snapshots (height, state) VALUES (0, $1)`, snap)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("devnet: write genesis: %w", err)
	}
	n.log.Info("devnet genesis created", "network", g.NetworkName, "accounts", len(rec.Keys), "block", gc)
	return rec, nil
}

func (n *Node) useKeys(rec *genesisRecord) error {
	for _, ki := range rec.Keys {
		k, err := ki.key()
		if err != nil {
			return fmt.Errorf("devnet: genesis key: %w", err)
		}
		a, err := k.Address()
		if err != nil {
			return err
		}
		n.keys[a] = k
	}
	var err error
	if n.producer, err = rec.Producer.key(); err != nil {
		return fmt.Errorf("devnet: producer key: %w", err)
	}
	if n.beacon, err = rec.Beacon.key(); err != nil {
		return fmt.Errorf("devnet: beacon key: %w", err)
	}
	return nil
}

// SetBaseFee sets the base fee of the tipsets made from now on, as a
// network's base fee rises and falls with demand: a pending message whose
// fee cap is below it stays in the pool, not included, until the base fee
// falls back or the message is replaced by one with a higher fee cap (the
// way tests make a message stuck). A push must meet it. The messages of
// each tipset execute with that tipset's base fee (its ParentBaseFee), as
// on Filecoin. It is not stored: a restarted node starts again at
// Config.BaseFee.
func (n *Node) SetBaseFee(v big.TokenAmount) error {
	if v.Sign() <= 0 {
		return fmt.Errorf("devnet: base fee %s: must be positive", v.AttoString())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.baseFee = v
	return nil
}

// Keys returns the funded genesis keys, in Lotus's exported form (hex of
// the KeyInfo JSON, what `lotus wallet export` prints), by address.
func (n *Node) Keys() map[address.Address]string {
	out := map[address.Address]string{}
	for a, k := range n.keys {
		b, _ := json.Marshal(toKeyInfo(k))
		out[a] = fmt.Sprintf("%x", b)
	}
	return out
}

// Accounts lists the funded genesis accounts in genesis order.
func (n *Node) Accounts() []address.Address {
	n.mu.RLock()
	defer n.mu.RUnlock()
	var out []address.Address
	for a := range n.keys {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		x, _ := n.st.Lookup(out[i])
		y, _ := n.st.Lookup(out[j])
		return x < y
	})
	return out
}

// producerAddr is the Miner of every block: the system actor (the devnet
// has one block producer and no block rewards).
var producerAddr = state.IDAddress(state.SystemID)

func addrCBOR(a address.Address) []byte {
	var buf bytes.Buffer
	_ = a.MarshalCBOR(&buf)
	return buf.Bytes()
}

// genesisBlock is the block at height 0.
func (n *Node) genesisBlock(st *state.State, snap []byte, ts uint64) (*types.BlockHeader, error) {
	tk, err := n.producer.Sign([]byte("strata devnet genesis ticket"))
	if err != nil {
		return nil, err
	}
	be, err := n.beacon.Sign(beaconMsg(nil, 0))
	if err != nil {
		return nil, err
	}
	empty, err := cidOfCBOR(&cidList{})
	if err != nil {
		return nil, err
	}
	return &types.BlockHeader{
		Miner:                 producerAddr,
		Ticket:                &types.Ticket{VRFProof: tk.Data},
		BeaconEntries:         []types.BeaconEntry{{Round: 0, Data: be.Data}},
		ParentStateRoot:       stateCID(snap),
		ParentMessageReceipts: empty,
		Messages:              empty,
		Timestamp:             ts,
		ParentBaseFee:         n.baseFee,
	}, nil
}

// beaconMsg is what the devnet beacon signs for a round: like drand's
// chained mode, the previous entry's signature and the round.
func beaconMsg(prev []byte, round uint64) []byte {
	h := blake2b.Sum256(append(append([]byte{}, prev...), binary.BigEndian.AppendUint64(nil, round)...))
	return h[:]
}

// stateCID names a state snapshot.
func stateCID(snap []byte) cid.Cid {
	return ftypes.CID(snap)
}

// cidList is a CBOR array of CIDs (the devnet's MsgMeta and receipt list
// stand-ins).
type cidList struct{ cids []cid.Cid }

func (l *cidList) MarshalCBOR(w io.Writer) error {
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, uint64(len(l.cids))); err != nil {
		return err
	}
	for _, c := range l.cids {
		if err := cbg.WriteCid(cw, c); err != nil {
			return err
		}
	}
	return nil
}

func cidOfCBOR(v cbg.CBORMarshaler) (cid.Cid, error) {
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		return cid.Undef, err
	}
	return ftypes.CID(buf.Bytes()), nil
}
