// Package prep turns client data into what a storage deal needs: a UnixFS
// DAG of a file or directory, written as a CARv1, with the CAR's root CID,
// size and piece commitment (CommP).
//
// The DAG is what `ipfs add --cid-version=1` builds: CIDv1, sha2-256, raw
// leaves, 1 MiB chunks, balanced layout with at most 174 links per node,
// directories sharded (HAMT) past 256 KiB. Blocks stream into the CAR as
// they are made; the root, known last, is written into the header in place
// (go-car's ReplaceRootsInFile), and the CommP is computed by reading the
// finished CAR back, so memory stays bounded whatever the input size.
package prep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/ipfs/boxo/blockservice"
	chunker "github.com/ipfs/boxo/chunker"
	"github.com/ipfs/boxo/ipld/merkledag"
	"github.com/ipfs/boxo/ipld/unixfs/importer/balanced"
	ihelper "github.com/ipfs/boxo/ipld/unixfs/importer/helpers"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	ipld "github.com/ipfs/go-ipld-format"
	carv2 "github.com/ipld/go-car/v2"
	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/multiformats/go-multihash"

	"github.com/strata-sp/strata/fil/commp"
)

// Errors, checked with errors.Is.
var (
	// ErrUnsupportedFile is returned for inputs that are neither regular
	// files nor directories (symlinks, devices, sockets).
	ErrUnsupportedFile = errors.New("unsupported file type")
)

// DefaultChunkSize is the UnixFS chunk size.
const DefaultChunkSize = 1 << 20

// Options configure Prepare and Commitment.
type Options struct {
	// ChunkSize of file data in the DAG; zero means DefaultChunkSize.
	ChunkSize int64
	// Progress, when set, is called now and then with the phase ("import"
	// while reading the input into the CAR, "commp" while hashing the CAR),
	// the bytes read so far in it, and its total (-1 when unknown).
	Progress func(phase string, done, total int64)
}

// Piece is a piece commitment and its sizes.
type Piece struct {
	CID         cid.Cid // v1 piece CID (baga...)
	CIDv2       cid.Cid // FRC-0069 piece CID (bafkzcib...), carrying the payload size
	PaddedSize  uint64  // padded piece size, a power of two
	PayloadSize uint64  // bytes hashed
}

// Result describes a prepared CAR.
type Result struct {
	Root       cid.Cid // the UnixFS root: the data's CID
	CARSize    uint64
	InputBytes int64 // file bytes read from the input
	Piece      Piece // of the CAR file
}

// cidBuilder is CIDv1 with sha2-256, the prefix of every dag-pb node; raw
// leaves get the raw codec from the importer.
var cidBuilder = cid.V1Builder{Codec: cid.DagProtobuf, MhType: multihash.SHA2_256}

// Prepare imports the file or directory at src into a UnixFS DAG, writes it
// as a CARv1 to dst (through a temporary file renamed at the end, so dst is
// either whole or absent), and computes the CAR's piece commitment.
func Prepare(ctx context.Context, src, dst string, opts Options) (Result, error) {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	total, err := inputSize(src)
	if err != nil {
		return Result{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return Result{}, fmt.Errorf("prepare: %w", err)
	}
	tmpName := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(tmpName) // a no-op after the rename

	// The placeholder root has the length of every root we can make (CIDv1
	// + sha2-256 + a one-byte codec), so the header can be rewritten in place.
	placeholder, err := cidBuilder.Sum(nil)
	if err != nil {
		return Result{}, err
	}
	bs, err := carbs.OpenReadWrite(tmpName, []cid.Cid{placeholder}, carv2.WriteAsCarV1(true))
	if err != nil {
		return Result{}, fmt.Errorf("prepare: open CAR: %w", err)
	}
	dag := merkledag.NewDAGService(blockservice.New(bs, nil))
	im := &importer{ctx: ctx, dag: dag, chunk: opts.ChunkSize, progress: phase("import", opts.Progress), total: total}
	root, err := im.add(src)
	if err != nil {
		bs.Discard()
		return Result{}, fmt.Errorf("prepare %s: %w", src, err)
	}
	if err := bs.Finalize(); err != nil {
		return Result{}, fmt.Errorf("prepare: finalize CAR: %w", err)
	}
	if err := carv2.ReplaceRootsInFile(tmpName, []cid.Cid{root.Cid()}); err != nil {
		return Result{}, fmt.Errorf("prepare: write CAR root: %w", err)
	}
	f, err := os.Open(tmpName)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Result{}, err
	}
	p, err := commitment(ctx, f, st.Size(), phase("commp", opts.Progress))
	if err != nil {
		return Result{}, fmt.Errorf("prepare: CommP of the CAR: %w", err)
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return Result{}, fmt.Errorf("prepare: %w", err)
	}
	return Result{Root: root.Cid(), CARSize: uint64(st.Size()), InputBytes: im.done, Piece: p}, nil
}

// Commitment computes the piece commitment of everything r yields (a CAR,
// or any file). size, if known (else -1), is passed to the progress callback.
func Commitment(ctx context.Context, r io.Reader, size int64, opts Options) (Piece, error) {
	return commitment(ctx, r, size, phase("commp", opts.Progress))
}

// phase binds a progress callback to a phase name.
func phase(name string, f func(string, int64, int64)) func(done, total int64) {
	if f == nil {
		return nil
	}
	return func(done, total int64) { f(name, done, total) }
}

func commitment(ctx context.Context, r io.Reader, size int64, progress func(done, total int64)) (Piece, error) {
	h := commp.New(commp.Options{})
	cr := &countingReader{ctx: ctx, r: r, total: size, progress: progress}
	// 4 MiB reads keep both cores of the hasher busy.
	if _, err := io.CopyBuffer(h, cr, make([]byte, 4<<20)); err != nil {
		return Piece{}, err
	}
	c1, padded, err := h.Sum()
	if err != nil {
		return Piece{}, err
	}
	c2, err := h.SumV2()
	if err != nil {
		return Piece{}, err
	}
	return Piece{CID: c1, CIDv2: c2, PaddedSize: padded, PayloadSize: h.PayloadSize()}, nil
}

// inputSize sums the file bytes under src, refusing what cannot be imported.
func inputSize(src string) (int64, error) {
	var total int64
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch t := d.Type(); {
		case t.IsDir():
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		default:
			return fmt.Errorf("%w: %s is a %s", ErrUnsupportedFile, p, t.String())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prepare: %w", err)
	}
	return total, nil
}

type importer struct {
	ctx      context.Context
	dag      ipld.DAGService
	chunk    int64
	progress func(done, total int64)
	total    int64
	done     int64
}

func (im *importer) add(p string) (ipld.Node, error) {
	info, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	switch {
	case info.Mode().IsRegular():
		return im.addFile(p)
	case info.IsDir():
		return im.addDir(p)
	default:
		return nil, fmt.Errorf("%w: %s is a %s", ErrUnsupportedFile, p, info.Mode().Type())
	}
}

func (im *importer) addFile(p string) (ipld.Node, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &countingReader{ctx: im.ctx, r: f, total: im.total, base: &im.done, progress: im.progress}
	db, err := (&ihelper.DagBuilderParams{
		Dagserv:    im.dag,
		Maxlinks:   ihelper.DefaultLinksPerBlock,
		RawLeaves:  true,
		CidBuilder: cidBuilder,
	}).New(chunker.NewSizeSplitter(r, im.chunk))
	if err != nil {
		return nil, err
	}
	n, err := balanced.Layout(db)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", p, err)
	}
	return n, nil
}

func (im *importer) addDir(p string) (ipld.Node, error) {
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	dir, err := uio.NewDirectory(im.dag, uio.WithCidBuilder(cidBuilder))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		child, err := im.add(filepath.Join(p, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.AddChild(im.ctx, e.Name(), child); err != nil {
			return nil, fmt.Errorf("add %s to %s: %w", e.Name(), p, err)
		}
	}
	n, err := dir.GetNode()
	if err != nil {
		return nil, err
	}
	if err := im.dag.Add(im.ctx, n); err != nil {
		return nil, err
	}
	return n, nil
}

// countingReader reports progress and honours cancellation between reads.
type countingReader struct {
	ctx      context.Context
	r        io.Reader
	total    int64
	base     *int64 // shared count across files, or nil
	n        int64
	last     int64
	progress func(done, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	done := c.n
	if c.base != nil {
		*c.base += int64(n)
		done = *c.base
	}
	if c.progress != nil && (done-c.last >= 4<<20 || err == io.EOF) {
		c.last = done
		c.progress(done, c.total)
	}
	return n, err
}
