package commp

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/internal/testvectors"
)

func parseUint(t testing.TB, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// patternReader yields the payloads of commp.csv.
type patternReader struct {
	fill func(p []byte)
	left uint64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if uint64(len(p)) > r.left {
		p = p[:r.left]
	}
	r.fill(p)
	r.left -= uint64(len(p))
	return len(p), nil
}

// newPattern returns the payload of a commp.csv row. rand1337 is the
// go-fil-commp-hashhash test stream: math/rand seeded with 1337, each Uint32
// written low byte first. It is read here in 4 MiB buffers, a multiple of 4,
// so no word is split (commp.csv header; primitives.md §2.4).
func newPattern(t testing.TB, name string, n uint64) io.Reader {
	t.Helper()
	switch name {
	case "zero":
		return &patternReader{fill: func(p []byte) { clear(p) }, left: n}
	case "cc":
		return &patternReader{fill: func(p []byte) {
			for i := range p {
				p[i] = 0xcc
			}
		}, left: n}
	case "rand1337":
		rng := rand.New(rand.NewSource(1337))
		return &patternReader{fill: func(p []byte) {
			var w [4]byte
			for i := 0; i < len(p); i += 4 {
				binary.LittleEndian.PutUint32(w[:], rng.Uint32())
				copy(p[i:], w[:])
			}
		}, left: n}
	}
	t.Fatalf("unknown pattern %q", name)
	return nil
}

func TestVectors_CommP(t *testing.T) {
	rows := testvectors.Rows(t, "commp.csv", ",")
	for _, r := range rows {
		pattern, payload, size, want := r[0], parseUint(t, r[1]), parseUint(t, r[2]), r[3]
		t.Run(pattern+"/"+r[1], func(t *testing.T) {
			h := New(Options{})
			buf := make([]byte, 4<<20)
			if _, err := io.CopyBuffer(h, newPattern(t, pattern, payload), buf); err != nil {
				t.Fatal(err)
			}
			c, got, err := h.Sum()
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != want || got != size {
				t.Fatalf("Sum = %s, %d; want %s, %d", c, got, want, size)
			}
		})
	}
	t.Logf("%d rows", len(rows))
}

func TestVectors_ZeroComms(t *testing.T) {
	rows := testvectors.Rows(t, "zero_comms.csv", ",")
	for _, r := range rows {
		level, size, root, want := parseUint(t, r[0]), parseUint(t, r[1]), r[2], r[3]
		if got := hex.EncodeToString(zeroComms[level][:]); got != root {
			t.Errorf("Z(%d) = %s, want %s", level, got, root)
		}
		if size < uint64(piece.MinPaddedSize) {
			continue // 64 bytes is a tree level, not a piece
		}
		c, err := ZeroPieceCID(piece.PaddedSize(size))
		if err != nil || c.String() != want {
			t.Errorf("ZeroPieceCID(%d) = %s, %v; want %s", size, c, err, want)
		}
	}
	t.Logf("%d rows", len(rows))
}

// readCommD parses commd.txt: "cid size" lines, then "# sector size N" and
// "# commd CID" comments.
func readCommD(t testing.TB) (pieces []piece.Info, sector piece.PaddedSize, want string) {
	t.Helper()
	f, err := os.Open(testvectors.Path(t, "commd.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 4 && fields[0] == "#" && fields[1] == "sector" && fields[2] == "size":
			sector = piece.PaddedSize(parseUint(t, fields[3]))
		case len(fields) == 3 && fields[0] == "#" && fields[1] == "commd":
			want = fields[2]
		case len(fields) == 2 && !strings.HasPrefix(fields[0], "#"):
			c, err := piece.Parse(fields[0])
			if err != nil {
				t.Fatal(err)
			}
			pieces = append(pieces, piece.Info{CID: c, Size: piece.PaddedSize(parseUint(t, fields[1]))})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pieces) == 0 || sector == 0 || want == "" {
		t.Fatalf("commd.txt: %d pieces, sector %d, commd %q", len(pieces), sector, want)
	}
	return pieces, sector, want
}

func TestVectors_CommD(t *testing.T) {
	pieces, sector, want := readCommD(t)
	got, err := UnsealedCID(sector, pieces)
	if err != nil || got.String() != want {
		t.Fatalf("UnsealedCID = %s, %v; want %s", got, err, want)
	}
	t.Logf("%d pieces in a %d-byte sector", len(pieces), sector)
}
