package seal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/challenge"
	"github.com/strata-sp/strata/proof/poseidon"
	"github.com/strata-sp/strata/proof/ptree"
	"github.com/strata-sp/strata/proof/sdr"
	"github.com/strata-sp/strata/proof/unsealed"
)

// ErrInvalidProof wraps every reason a seal proof is refused.
var ErrInvalidProof = errors.New("invalid seal proof")

// Column is the labels of one node in every layer, opened against comm_c.
type Column struct {
	Labels [][32]byte   // layers 1..L
	Proof  *ptree.Proof // tree_c inclusion proof; its leaf is the column hash
}

// ChallengeProof is the vanilla proof of one challenged node c
// (stacked/vanilla/params.rs Proof). The labeling and encoding proofs are
// not repeated: the verifier recomputes every layer's label of c from the
// opened parent columns, which also checks what rust's vanilla verifier
// leaves to the circuit (that the labeling parents are the columns).
type ChallengeProof struct {
	Node      uint64
	DataLeaf  [32]byte   // data[c], the staged sector's node
	TreeDPath [][32]byte // its tree_d siblings, bottom up
	Column    Column     // c's column
	Parents   []Column   // the 6 base then 8 expander parents' columns
	Replica   *ptree.Proof
}

// Proof is a whole vanilla seal proof.
type Proof struct {
	CommC, CommRLast [32]byte
	Partitions       [][]ChallengeProof
}

// PublicInputs are what a verifier knows of a sealed sector.
type PublicInputs struct {
	Proof  proof.SealProof
	Miner  uint64
	Number uint64
	Ticket [32]byte
	Seed   [32]byte
	CommD  [32]byte
	CommR  [32]byte
}

// C1 opens the challenges that seed picks in a sealed sector and returns
// the vanilla proof, checked with VerifySeal before it is returned.
func (e *Engine) C1(ctx context.Context, s Sector, ticket, seed, commD [32]byte) (*Proof, error) {
	p, err := sectorParams(s)
	if err != nil {
		return nil, err
	}
	paux, err := os.ReadFile(filepath.Join(s.Cache, PAuxFile))
	if err != nil || len(paux) != 64 {
		return nil, fmt.Errorf("c1: p_aux (run PC2 first): %v", err)
	}
	out := &Proof{CommC: [32]byte(paux[:32]), CommRLast: [32]byte(paux[32:])}
	replicaID, err := ReplicaID(s, ticket, commD)
	if err != nil {
		return nil, err
	}
	g, err := sdr.NewGraph(p.nodes, p.porepID, p.version)
	if err != nil {
		return nil, err
	}
	treeD, err := unsealed.OpenTreeD(filepath.Join(s.Cache, TreeDFile), uint64(p.size))
	if err != nil {
		return nil, fmt.Errorf("c1: %w", err)
	}
	defer treeD.Close()
	if treeD.Root() != commD {
		return nil, fmt.Errorf("c1: tree_d root %x is not CommD %x", treeD.Root(), commD)
	}
	treeC, closeC, err := openTree(p, s.Cache, TreeCFile)
	if err != nil {
		return nil, fmt.Errorf("c1: tree_c: %w", err)
	}
	defer closeC()
	treeR, closeR, err := openTree(p, s.Cache, TreeRLastFile)
	if err != nil {
		return nil, fmt.Errorf("c1: tree_r_last: %w", err)
	}
	defer closeR()
	labels, err := sdr.OpenLabels(s.Cache, p.layers, p.nodes)
	if err != nil {
		return nil, fmt.Errorf("c1: %w", err)
	}
	defer labels.Close()
	sealed, err := os.Open(s.Sealed)
	if err != nil {
		return nil, fmt.Errorf("c1: %w", err)
	}
	defer sealed.Close()

	column := func(node uint64) (Column, error) {
		col, err := labels.Column(node)
		if err != nil {
			return Column{}, err
		}
		pr, err := treeC.Prove(node)
		if err != nil {
			return Column{}, err
		}
		c := Column{Proof: pr}
		for _, l := range col {
			c.Labels = append(c.Labels, l)
		}
		return c, nil
	}
	parts, _ := s.Proof.Partitions()
	per, _ := s.Proof.InteractiveChallenges()
	for k := range parts {
		cs, err := challenge.Interactive(replicaID, seed, p.nodes, k, per)
		if err != nil {
			return nil, err
		}
		var part []ChallengeProof
		for _, c := range cs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			cp := ChallengeProof{Node: c}
			if cp.DataLeaf, err = treeD.Leaf(c); err != nil {
				return nil, err
			}
			if cp.TreeDPath, err = treeD.Path(c); err != nil {
				return nil, err
			}
			if cp.Column, err = column(c); err != nil {
				return nil, err
			}
			var parents [sdr.Degree]uint32
			if err := g.Parents(c, &parents); err != nil {
				return nil, err
			}
			for _, par := range parents {
				col, err := column(uint64(par))
				if err != nil {
					return nil, err
				}
				cp.Parents = append(cp.Parents, col)
			}
			if cp.Replica, err = treeR.Prove(c); err != nil {
				return nil, err
			}
			// The leaf comes from the replica, not the tree: a damaged
			// replica must not yield a proof.
			if _, err := sealed.ReadAt(cp.Replica.Leaf[:], int64(c)*proof.NodeSize); err != nil {
				return nil, fmt.Errorf("c1: read replica node %d: %w", c, err)
			}
			part = append(part, cp)
		}
		out.Partitions = append(out.Partitions, part)
	}
	commR, err := ptree.CommR(out.CommC, out.CommRLast)
	if err != nil {
		return nil, err
	}
	pub := PublicInputs{Proof: s.Proof, Miner: s.Miner, Number: s.Number, Ticket: ticket, Seed: seed, CommD: commD, CommR: commR}
	if err := VerifySeal(pub, out); err != nil {
		return nil, fmt.Errorf("c1: the sector's own proof does not verify: %w", err)
	}
	return out, nil
}

// openTree opens a tree's base-tree files; close releases them.
func openTree(p params, dir string, name func(int) string) (t *ptree.Tree, close func(), err error) {
	n := p.shape.BaseTrees()
	stores := make([]io.ReaderAt, 0, n)
	var files []*os.File
	close = func() {
		for _, f := range files {
			f.Close()
		}
	}
	for k := range n {
		f, err := os.Open(filepath.Join(dir, name(k)))
		if err != nil {
			close()
			return nil, nil, err
		}
		files = append(files, f)
		stores = append(stores, f)
	}
	t, err = ptree.Open(p.shape, p.nodes, stores)
	if err != nil {
		close()
		return nil, nil, err
	}
	return t, close, nil
}

// VerifySeal checks a vanilla seal proof against the public inputs. Every
// refusal wraps ErrInvalidProof and says what failed.
func VerifySeal(pub PublicInputs, pr *Proof) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidProof}, args...)...)
	}
	s := Sector{Proof: pub.Proof, Miner: pub.Miner, Number: pub.Number}
	p, err := sectorParams(s)
	if err != nil {
		return err
	}
	commR, err := ptree.CommR(pr.CommC, pr.CommRLast)
	if err != nil {
		return bad("%v", err)
	}
	if commR != pub.CommR {
		return bad("H(comm_c, comm_r_last) = %x is not CommR %x", commR, pub.CommR)
	}
	replicaID, err := ReplicaID(s, pub.Ticket, pub.CommD)
	if err != nil {
		return err
	}
	g, err := sdr.NewGraph(p.nodes, p.porepID, p.version)
	if err != nil {
		return err
	}
	parts, _ := pub.Proof.Partitions()
	per, _ := pub.Proof.InteractiveChallenges()
	if len(pr.Partitions) != parts {
		return bad("%d partitions, want %d", len(pr.Partitions), parts)
	}
	for k, part := range pr.Partitions {
		cs, err := challenge.Interactive(replicaID, pub.Seed, p.nodes, k, per)
		if err != nil {
			return err
		}
		if len(part) != len(cs) {
			return bad("partition %d has %d challenges, want %d", k, len(part), len(cs))
		}
		for i, c := range cs {
			if err := verifyChallenge(g, p, replicaID, pub.CommD, pr, c, &part[i]); err != nil {
				return bad("partition %d challenge %d (node %d): %v", k, i, c, err)
			}
		}
	}
	return nil
}

func verifyChallenge(g *sdr.Graph, p params, replicaID, commD [32]byte, pr *Proof, c uint64, cp *ChallengeProof) error {
	if cp.Node != c {
		return fmt.Errorf("proves node %d", cp.Node)
	}
	if !unsealed.VerifyPath(commD, cp.DataLeaf, c, cp.TreeDPath) {
		return errors.New("tree_d path does not lead to CommD")
	}
	var parents [sdr.Degree]uint32
	if err := g.Parents(c, &parents); err != nil {
		return err
	}
	if len(cp.Parents) != sdr.Degree {
		return fmt.Errorf("%d parent columns, want %d", len(cp.Parents), sdr.Degree)
	}
	checkColumn := func(col *Column, node uint64, what string) error {
		if len(col.Labels) != p.layers || col.Proof == nil {
			return fmt.Errorf("%s: %d labels, want %d", what, len(col.Labels), p.layers)
		}
		h, err := ptree.ColumnHash(col.Labels)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if col.Proof.Leaf != h {
			return fmt.Errorf("%s: tree_c leaf is not the column's hash", what)
		}
		if err := ptree.Verify(p.shape, p.nodes, pr.CommC, node, col.Proof); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if err := checkColumn(&cp.Column, c, "column"); err != nil {
		return err
	}
	for j := range cp.Parents {
		if err := checkColumn(&cp.Parents[j], uint64(parents[j]), fmt.Sprintf("parent %d (node %d)", j, parents[j])); err != nil {
			return err
		}
	}
	if cp.Replica == nil {
		return errors.New("no tree_r_last proof")
	}
	if err := ptree.Verify(p.shape, p.nodes, pr.CommRLast, c, cp.Replica); err != nil {
		return fmt.Errorf("tree_r_last: %w", err)
	}
	// Labeling: each layer's label of c from its parents' opened labels,
	// base parents in the same layer, expander parents in the one below.
	for l := 1; l <= p.layers; l++ {
		n := sdr.BaseDegree
		if l > 1 {
			n = sdr.Degree
		}
		list := make([][32]byte, sdr.TotalParents)
		for i := range list {
			j := i % n
			layer := l
			if j >= sdr.BaseDegree {
				layer = l - 1
			}
			list[i] = cp.Parents[j].Labels[layer-1]
		}
		want, err := sdr.ComputeLabel(replicaID, l, c, list)
		if err != nil {
			return err
		}
		if want != cp.Column.Labels[l-1] {
			return fmt.Errorf("layer %d label does not follow from its parents", l)
		}
	}
	// Encoding: replica[c] = data[c] + key, key = last layer's label.
	d, err := poseidon.FromBytes(cp.DataLeaf)
	if err != nil {
		return fmt.Errorf("data leaf: %w", err)
	}
	key, err := poseidon.FromBytes(cp.Column.Labels[p.layers-1])
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	d.Add(&d, &key)
	if poseidon.ToBytes(&d) != cp.Replica.Leaf {
		return errors.New("replica node is not data + key")
	}
	return nil
}

// OpenTreeRLast opens a sealed sector's tree_r_last for PoSt; close
// releases its files.
func OpenTreeRLast(s Sector) (t *ptree.Tree, close func(), err error) {
	p, err := sectorParams(s)
	if err != nil {
		return nil, nil, err
	}
	return openTree(p, s.Cache, TreeRLastFile)
}

// ReadPAux returns the comm_c and comm_r_last PC2 recorded.
func ReadPAux(s Sector) (commC, commRLast [32]byte, err error) {
	b, err := os.ReadFile(filepath.Join(s.Cache, PAuxFile))
	if err != nil {
		return commC, commRLast, err
	}
	if len(b) != 64 {
		return commC, commRLast, fmt.Errorf("p_aux of %s is %d bytes, want 64", s.Cache, len(b))
	}
	return [32]byte(b[:32]), [32]byte(b[32:]), nil
}
