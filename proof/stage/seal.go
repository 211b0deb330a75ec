package stage

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/strata-sp/strata/proof/seal"
)

// The sealing stages of the built-in engine.
const (
	PC1 = "pc1"
	PC2 = "pc2"
	C1  = "c1"
	C2  = "c2"
)

// Bytes32 is a 32-byte value written as hex in JSON.
type Bytes32 [32]byte

// MarshalText implements encoding.TextMarshaler.
func (b Bytes32) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(b[:])), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Bytes32) UnmarshalText(t []byte) error {
	d, err := hex.DecodeString(string(t))
	if err != nil || len(d) != 32 {
		return fmt.Errorf("want 32 bytes of hex, got %q", t)
	}
	copy(b[:], d)
	return nil
}

// SealTask names a sector and where the engine keeps parent caches.
type SealTask struct {
	Sector      seal.Sector
	ParentCache string
}

func (t SealTask) engine() *seal.Engine { return &seal.Engine{ParentCacheDir: t.ParentCache} }

// PC1Task labels a sector's layers.
type PC1Task struct {
	SealTask
	Ticket Bytes32
	CommD  Bytes32
}

// PC1Output is the sector's replica_id.
type PC1Output struct {
	ReplicaID Bytes32
}

// RunPC1 runs the pc1 stage.
func RunPC1(ctx context.Context, t PC1Task) (PC1Output, error) {
	id, err := t.engine().PC1(ctx, t.Sector, t.Ticket, t.CommD)
	return PC1Output{ReplicaID: id}, err
}

// PC2Output holds the sector's commitments.
type PC2Output struct {
	CommC, CommRLast, CommR Bytes32
}

// RunPC2 runs the pc2 stage.
func RunPC2(ctx context.Context, t SealTask) (PC2Output, error) {
	c, err := t.engine().PC2(ctx, t.Sector)
	return PC2Output{CommC: c.CommC, CommRLast: c.CommRLast, CommR: c.CommR}, err
}

// C1Task opens the challenges of a seed.
type C1Task struct {
	SealTask
	Ticket, Seed, CommD Bytes32
}

// ProofOutput is an encoded proof.
type ProofOutput struct {
	Proof []byte
}

// RunC1 runs the c1 stage: the vanilla proof, encoded.
func RunC1(ctx context.Context, t C1Task) (ProofOutput, error) {
	pr, err := t.engine().C1(ctx, t.Sector, t.Ticket, t.Seed, t.CommD)
	if err != nil {
		return ProofOutput{}, err
	}
	b, err := pr.MarshalBinary()
	return ProofOutput{Proof: b}, err
}

// RunC2 runs the c2 stage of the built-in engine, whose final proof is the
// vanilla proof itself (the devnet verifies it): it checks that the C1
// output decodes and hands it on. On a real network an external SNARK
// prover serves this stage instead.
func RunC2(_ context.Context, c1 ProofOutput) (ProofOutput, error) {
	var pr seal.Proof
	if err := pr.UnmarshalBinary(c1.Proof); err != nil {
		return ProofOutput{}, fmt.Errorf("c2: %w", err)
	}
	b, err := pr.MarshalBinary()
	return ProofOutput{Proof: b}, err
}
