package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/proof/ptree"
	"github.com/strata-sp/strata/proof/sdr"
)

// ErrEncoding wraps every decoding error of a seal proof.
var ErrEncoding = errors.New("bad seal proof encoding")

// Bounds checked while decoding, before anything is allocated: 32 GiB and
// 64 GiB proofs have 10 partitions of 18 challenges and 11 layers.
const (
	maxPartitions = 10
	maxPerPart    = 18
	maxLayers     = 11
	maxTreeDDepth = 40
	// MaxEncodedSize bounds a whole encoded proof (a 32 GiB proof is ~8 MiB).
	MaxEncodedSize = 16 << 20
)

// MarshalBinary encodes the proof as compact CBOR:
// [comm_c, comm_r_last, [[challenge...]...]], a challenge being
// [node, data_leaf, [tree_d siblings], column, [14 parent columns],
// tree_r_last proof] and a column [[labels], tree_c proof].
func (p *Proof) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	w := cbg.NewCborWriter(&buf)
	arr := func(n int) error { return w.WriteMajorTypeHeader(cbg.MajArray, uint64(n)) }
	b32 := func(b [32]byte) error { return cbg.WriteByteArray(w, b[:]) }
	tree := func(pr *ptree.Proof) error {
		if pr == nil {
			return errors.New("missing tree proof")
		}
		b, err := pr.MarshalBinary()
		if err != nil {
			return err
		}
		return cbg.WriteByteArray(w, b)
	}
	column := func(c Column) error {
		if err := arr(2); err != nil {
			return err
		}
		if err := arr(len(c.Labels)); err != nil {
			return err
		}
		for _, l := range c.Labels {
			if err := b32(l); err != nil {
				return err
			}
		}
		return tree(c.Proof)
	}
	steps := []func() error{func() error { return arr(3) }, func() error { return b32(p.CommC) }, func() error { return b32(p.CommRLast) }, func() error { return arr(len(p.Partitions)) }}
	for _, f := range steps {
		if err := f(); err != nil {
			return nil, err
		}
	}
	for _, part := range p.Partitions {
		if err := arr(len(part)); err != nil {
			return nil, err
		}
		for _, cp := range part {
			if err := arr(6); err != nil {
				return nil, err
			}
			if err := w.WriteMajorTypeHeader(cbg.MajUnsignedInt, cp.Node); err != nil {
				return nil, err
			}
			if err := b32(cp.DataLeaf); err != nil {
				return nil, err
			}
			if err := arr(len(cp.TreeDPath)); err != nil {
				return nil, err
			}
			for _, s := range cp.TreeDPath {
				if err := b32(s); err != nil {
					return nil, err
				}
			}
			if err := column(cp.Column); err != nil {
				return nil, err
			}
			if err := arr(len(cp.Parents)); err != nil {
				return nil, err
			}
			for _, c := range cp.Parents {
				if err := column(c); err != nil {
					return nil, err
				}
			}
			if err := tree(cp.Replica); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary decodes what MarshalBinary encodes. It refuses input over
// MaxEncodedSize before reading it, checks every count and length before
// allocating, and rejects trailing bytes.
func (p *Proof) UnmarshalBinary(b []byte) error {
	if len(b) > MaxEncodedSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrEncoding, len(b), MaxEncodedSize)
	}
	br := bytes.NewReader(b)
	d := decoder{r: cbg.NewCborReader(br)}
	var out Proof
	d.header(cbg.MajArray, 3, 3, "proof")
	out.CommC = d.b32("comm_c")
	out.CommRLast = d.b32("comm_r_last")
	parts := d.header(cbg.MajArray, 1, maxPartitions, "partitions")
	for range parts {
		n := d.header(cbg.MajArray, 1, maxPerPart, "challenges")
		var part []ChallengeProof
		for range n {
			var cp ChallengeProof
			d.header(cbg.MajArray, 6, 6, "challenge")
			cp.Node = d.header(cbg.MajUnsignedInt, 0, ^uint64(0), "node")
			cp.DataLeaf = d.b32("data leaf")
			for range d.header(cbg.MajArray, 0, maxTreeDDepth, "tree_d path") {
				cp.TreeDPath = append(cp.TreeDPath, d.b32("tree_d sibling"))
			}
			cp.Column = d.column()
			for range d.header(cbg.MajArray, sdr.Degree, sdr.Degree, "parent columns") {
				cp.Parents = append(cp.Parents, d.column())
			}
			cp.Replica = d.tree("tree_r_last proof")
			part = append(part, cp)
			if d.err != nil {
				return d.err
			}
		}
		out.Partitions = append(out.Partitions, part)
	}
	if d.err != nil {
		return d.err
	}
	if br.Len() != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrEncoding, br.Len())
	}
	*p = out
	return nil
}

// decoder keeps the first error; later reads are no-ops returning zeros.
type decoder struct {
	r   *cbg.CborReader
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrEncoding}, args...)...)
	}
}

func (d *decoder) header(maj byte, lo, hi uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	m, v, err := d.r.ReadHeader()
	switch {
	case errors.Is(err, io.EOF):
		d.fail("%s: %v", what, io.ErrUnexpectedEOF)
	case err != nil:
		d.fail("%s: %v", what, err)
	case m != maj:
		d.fail("%s has CBOR major type %d, want %d", what, m, maj)
	case v < lo || v > hi:
		d.fail("%s: %d is outside %d..%d", what, v, lo, hi)
	default:
		return v
	}
	return 0
}

func (d *decoder) b32(what string) [32]byte {
	var out [32]byte
	if d.err != nil {
		return out
	}
	b, err := cbg.ReadByteArray(d.r, 32)
	if err != nil || len(b) != 32 {
		d.fail("%s is not 32 bytes (%v)", what, err)
		return out
	}
	copy(out[:], b)
	return out
}

func (d *decoder) tree(what string) *ptree.Proof {
	if d.err != nil {
		return nil
	}
	b, err := cbg.ReadByteArray(d.r, ptree.MaxEncodedSize)
	if err != nil {
		d.fail("%s: %v", what, err)
		return nil
	}
	var p ptree.Proof
	if err := p.UnmarshalBinary(b); err != nil {
		d.fail("%s: %v", what, err)
		return nil
	}
	return &p
}

func (d *decoder) column() Column {
	var c Column
	d.header(cbg.MajArray, 2, 2, "column")
	for range d.header(cbg.MajArray, 1, maxLayers, "column labels") {
		c.Labels = append(c.Labels, d.b32("label"))
	}
	c.Proof = d.tree("tree_c proof")
	return c
}
