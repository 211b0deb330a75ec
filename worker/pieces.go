package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/proof/stage"
)

// fetchPieces copies each deal's data from its source into the thread's
// pieces directory, zero-padded to the piece's unpadded size, for
// add_pieces to read (which checks each piece's commitment). A source is
// a path this worker can read or an http(s) URL. A source with more or
// fewer bytes than the deal's payload is an error: the data is not the
// piece's.
func (t *Thread) fetchPieces(ctx context.Context, deals []hub.Deal) ([]stage.PieceFile, error) {
	out := make([]stage.PieceFile, len(deals))
	for i, d := range deals {
		path := filepath.Join(t.cfg.Location, "pieces", strconv.Itoa(i))
		if err := fetchPiece(ctx, d, path); err != nil {
			return nil, fmt.Errorf("piece %d (%s from %s): %w", i, d.CID, d.Source, err)
		}
		out[i] = stage.PieceFile{Size: d.Size, CID: d.CID, Path: path}
	}
	return out, nil
}

// maxPieceSource bounds what is read from a source beyond the payload, to
// tell a longer source from a right one.
const maxPieceSource = 1

func fetchPiece(ctx context.Context, d hub.Deal, dst string) error {
	if d.PayloadSize > uint64(d.Size.Unpadded()) {
		return fmt.Errorf("a payload of %d bytes does not fit the piece", d.PayloadSize)
	}
	src, err := openSource(ctx, d.Source)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFunc(dst, 0o644, func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(src, int64(d.PayloadSize)+maxPieceSource))
		if err != nil {
			return fmt.Errorf("read the source: %w", err)
		}
		if uint64(n) != d.PayloadSize {
			return fmt.Errorf("the source has %s bytes, the piece's payload is %d", sizeText(n, d.PayloadSize), d.PayloadSize)
		}
		_, err = io.CopyN(w, zeroReader{}, int64(uint64(d.Size.Unpadded())-d.PayloadSize))
		return err
	})
}

func sizeText(n int64, want uint64) string {
	if uint64(n) > want {
		return "more than " + strconv.FormatUint(want, 10)
	}
	return strconv.FormatInt(n, 10)
}

func openSource(ctx context.Context, src string) (io.ReadCloser, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %s", src, resp.Status)
		}
		return resp.Body, nil
	}
	if !filepath.IsAbs(src) {
		return nil, errors.New("a file source must be an absolute path")
	}
	return os.Open(src)
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
