// Package stage names the sealing pipeline's stages as tasks with JSON
// inputs and outputs, so that each stage runs the same in process (the Run
// functions) or in an external processor (`strata processor STAGE`, served
// from Handlers, called through proof/processor). Paths in tasks are on the
// machine that runs the stage.
package stage

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof/processor"
	"github.com/strata-sp/strata/proof/unsealed"
)

// Stage names, as processors announce them ("tree_d processor ready").
const (
	AddPieces = "add_pieces"
	TreeD     = "tree_d"
)

// Errors, checked with errors.Is.
var (
	// ErrTask means a task cannot be run as given (an unknown proof, too
	// many sectors); running it again unchanged fails the same way.
	ErrTask = errors.New("bad task")
)

// PieceFile is a piece whose unpadded data is in a file.
type PieceFile struct {
	Size piece.PaddedSize
	CID  cid.Cid // expected piece CID; undefined accepts what the data hashes to
	Path string  // exactly Size·127/128 bytes
}

// AddPiecesTask writes a staged sector from pieces.
type AddPiecesTask struct {
	Staged     string // the staged sector file to write
	SectorSize piece.PaddedSize
	Pieces     []PieceFile
}

// AddPiecesOutput lists the pieces as the sector records them.
type AddPiecesOutput struct {
	Pieces []piece.Info
}

// RunAddPieces runs the add_pieces stage.
func RunAddPieces(ctx context.Context, t AddPiecesTask) (AddPiecesOutput, error) {
	pieces := make([]unsealed.Piece, len(t.Pieces))
	for i, p := range t.Pieces {
		f, err := os.Open(p.Path)
		if err != nil {
			return AddPiecesOutput{}, fmt.Errorf("add_pieces: piece %d: %w", i, err)
		}
		defer f.Close()
		pieces[i] = unsealed.Piece{Size: p.Size, CID: p.CID, Data: f}
	}
	infos, err := unsealed.AddPieces(ctx, t.Staged, t.SectorSize, pieces)
	if err != nil {
		return AddPiecesOutput{}, err
	}
	return AddPiecesOutput{Pieces: infos}, nil
}

// TreeDTask builds tree_d over a staged sector.
type TreeDTask struct {
	Staged string
	Tree   string // the tree_d file to write
}

// TreeDOutput is the sector's unsealed commitment.
type TreeDOutput struct {
	CommD cid.Cid
}

// RunTreeD runs the tree_d stage.
func RunTreeD(ctx context.Context, t TreeDTask) (TreeDOutput, error) {
	root, err := unsealed.BuildTreeD(ctx, t.Staged, t.Tree)
	if err != nil {
		return TreeDOutput{}, err
	}
	return TreeDOutput{CommD: piece.CIDv1(root)}, nil
}

// Handlers returns the processor handler of every stage this binary
// implements, by stage name.
func Handlers() map[string]processor.Handler {
	return map[string]processor.Handler{
		AddPieces: processor.Typed(RunAddPieces),
		TreeD:     processor.Typed(RunTreeD),
		PC1:       processor.Typed(RunPC1),
		PC2:       processor.Typed(RunPC2),
		C1:        processor.Typed(RunC1),
		C2:        processor.Typed(RunC2),

		Finalize:    processor.Typed(RunFinalize),
		Unseal:      processor.Typed(RunUnseal),
		WindowPoSt:  processor.Typed(RunWindowPoSt),
		WinningPoSt: processor.Typed(RunWinningPoSt),
	}
}
