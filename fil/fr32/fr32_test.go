package fr32

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// padBits is the definition of Fr32 padding written bit by bit
// (primitives.md §2.1): 254 data bits, then 2 zero bits, LSB first.
func padBits(in []byte) []byte {
	out := make([]byte, len(in)/UnpaddedChunk*PaddedChunk)
	o := 0
	for i := 0; i < len(in)*8; i++ {
		if i%254 == 0 && i > 0 {
			o += 2
		}
		if in[i/8]>>(i%8)&1 == 1 {
			out[o/8] |= 1 << (o % 8)
		}
		o++
	}
	return out
}

// padBytes is the byte-level form of go-fil-commp-hashhash quoted in
// primitives.md §2.1, for one quad.
func padBytes(in []byte) []byte {
	out := make([]byte, PaddedChunk)
	copy(out[:32], in[:32])
	out[31] &= 0x3f
	for i := 31; i <= 62; i++ {
		out[i+1] = in[i+1]<<2 | in[i]>>6
	}
	out[63] &= 0x3f
	for i := 63; i <= 94; i++ {
		out[i+1] = in[i+1]<<4 | in[i]>>4
	}
	out[95] &= 0x3f
	for i := 95; i <= 125; i++ {
		out[i+1] = in[i+1]<<6 | in[i]>>2
	}
	out[127] = in[126] >> 2
	return out
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestPad_MatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for quads := 0; quads <= 20; quads++ {
		in := randBytes(rng, quads*UnpaddedChunk)
		out := make([]byte, PaddedLen(len(in)))
		Pad(in, out)
		if want := padBits(in); !bytes.Equal(out, want) {
			t.Fatalf("%d quads: Pad = %x, bit definition %x", quads, out, want)
		}
		if quads > 0 {
			// The portable code, whichever Pad uses on this machine.
			generic := make([]byte, len(out))
			padQuadsGeneric(in, generic, quads)
			padLast(in, generic, quads)
			if !bytes.Equal(generic, out) {
				t.Fatalf("%d quads: generic padding %x, Pad %x", quads, generic, out)
			}
		}
		for q := range quads {
			if want := padBytes(in[q*UnpaddedChunk:]); !bytes.Equal(out[q*PaddedChunk:(q+1)*PaddedChunk], want) {
				t.Fatalf("quad %d: Pad = %x, byte form %x", q, out[q*PaddedChunk:], want)
			}
		}
		for w := 31; w < len(out); w += 32 {
			if out[w]&0xc0 != 0 {
				t.Fatalf("byte %d = %#x has padding bits set", w, out[w])
			}
		}
		back := make([]byte, len(in))
		Unpad(out, back)
		if !bytes.Equal(back, in) {
			t.Fatalf("%d quads: Unpad(Pad(x)) != x", quads)
		}
	}
}

func TestPad_AllOnes(t *testing.T) {
	in := bytes.Repeat([]byte{0xff}, UnpaddedChunk)
	out := make([]byte, PaddedChunk)
	Pad(in, out)
	for i, b := range out {
		want := byte(0xff)
		if i%32 == 31 {
			want = 0x3f
		}
		if b != want {
			t.Fatalf("byte %d = %#x, want %#x", i, b, want)
		}
	}
}

func TestUnpad_IgnoresPaddingBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	in := randBytes(rng, 2*UnpaddedChunk)
	padded := make([]byte, 2*PaddedChunk)
	Pad(in, padded)
	for w := 31; w < len(padded); w += 32 {
		padded[w] |= 0xc0
	}
	out := make([]byte, len(in))
	Unpad(padded, out)
	if !bytes.Equal(out, in) {
		t.Fatal("padding bits leaked into unpadded data")
	}
}

func TestPad_BadLengthsPanic(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Pad input", func() { Pad(make([]byte, 128), make([]byte, 256)) }},
		{"Pad output", func() { Pad(make([]byte, 127), make([]byte, 127)) }},
		{"Unpad input", func() { Unpad(make([]byte, 127), make([]byte, 127)) }},
		{"Unpad output", func() { Unpad(make([]byte, 128), make([]byte, 126)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.f()
		})
	}
}

// zeroFilled returns b zero-filled to a multiple of 127, as padded streams end.
func zeroFilled(b []byte) []byte {
	n := (len(b) + UnpaddedChunk - 1) / UnpaddedChunk * UnpaddedChunk
	out := make([]byte, n)
	copy(out, b)
	return out
}

func padded(b []byte) []byte {
	in := zeroFilled(b)
	out := make([]byte, PaddedLen(len(in)))
	Pad(in, out)
	return out
}

// writeChunks writes b to w in random-sized pieces.
func writeChunks(t *testing.T, rng *rand.Rand, w io.Writer, b []byte) {
	t.Helper()
	for len(b) > 0 {
		n := min(len(b), rng.IntN(3*batchQuads*PaddedChunk/2)+1)
		if rng.IntN(2) == 0 {
			n = min(len(b), rng.IntN(300)+1)
		}
		m, err := w.Write(b[:n])
		if err != nil || m != n {
			t.Fatalf("Write(%d) = %d, %v", n, m, err)
		}
		b = b[n:]
	}
}

func TestPadWriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, size := range []int{0, 1, 126, 127, 128, 254, 1000, batchQuads * UnpaddedChunk, 3*batchQuads*UnpaddedChunk + 5, 100_000} {
		data := randBytes(rng, size)
		var buf bytes.Buffer
		pw := NewPadWriter(&buf)
		writeChunks(t, rng, pw, data)
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if !bytes.Equal(buf.Bytes(), padded(data)) {
			t.Fatalf("size %d: PadWriter output differs from Pad", size)
		}
		if _, err := pw.Write([]byte{1}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Write after Close: %v, want ErrClosed", err)
		}

		var back bytes.Buffer
		uw := NewUnpadWriter(&back)
		writeChunks(t, rng, uw, buf.Bytes())
		if err := uw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Bytes(), zeroFilled(data)) {
			t.Fatalf("size %d: UnpadWriter did not invert PadWriter", size)
		}
	}
}

func TestPadReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	wrappers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for _, size := range []int{0, 1, 127, 128, 3000, batchQuads*UnpaddedChunk + 1, 70_000} {
		data := randBytes(rng, size)
		for name, wrap := range wrappers {
			got, err := io.ReadAll(wrap(NewPadReader(wrap(bytes.NewReader(data)))))
			if err != nil {
				t.Fatalf("%s size %d: %v", name, size, err)
			}
			if !bytes.Equal(got, padded(data)) {
				t.Fatalf("%s size %d: PadReader output differs from Pad", name, size)
			}
			back, err := io.ReadAll(wrap(NewUnpadReader(wrap(bytes.NewReader(got)))))
			if err != nil {
				t.Fatalf("%s size %d: unpad: %v", name, size, err)
			}
			if !bytes.Equal(back, zeroFilled(data)) {
				t.Fatalf("%s size %d: UnpadReader did not invert PadReader", name, size)
			}
		}
	}
	data := randBytes(rng, 5000)
	if err := iotest.TestReader(NewPadReader(bytes.NewReader(data)), padded(data)); err != nil {
		t.Fatal(err)
	}
}

func TestUnpad_PartialQuadIsAnError(t *testing.T) {
	in := make([]byte, PaddedChunk+5)
	_, err := io.ReadAll(NewUnpadReader(bytes.NewReader(in)))
	if !errors.Is(err, ErrPartialQuad) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("UnpadReader error %v, want ErrPartialQuad and io.ErrUnexpectedEOF", err)
	}
	uw := NewUnpadWriter(io.Discard)
	if _, err := uw.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := uw.Close(); !errors.Is(err, ErrPartialQuad) {
		t.Fatalf("UnpadWriter.Close error %v, want ErrPartialQuad", err)
	}
}

func TestPadReader_PassesReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(make([]byte, 300)), iotest.ErrReader(boom))
	got, err := io.ReadAll(NewPadReader(r))
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if len(got) != 2*PaddedChunk {
		t.Fatalf("read %d bytes before the error, want the 2 whole quads", len(got))
	}
}

func FuzzPadUnpad(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 127))
	f.Add(bytes.Repeat([]byte{0xa5}, 300))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Four quads cover every shift and the last-quad path; longer inputs
		// only slow the bit-by-bit reference and the fuzzer's minimisation
		// (quadratic in the input length).
		if len(data) > 4*UnpaddedChunk {
			return
		}
		in := zeroFilled(data)
		out := make([]byte, PaddedLen(len(in)))
		Pad(in, out)
		if want := padBits(in); !bytes.Equal(out, want) {
			t.Fatalf("Pad differs from the bit definition")
		}
		back := make([]byte, len(in))
		Unpad(out, back)
		if !bytes.Equal(back, in) {
			t.Fatalf("Unpad(Pad(x)) != x")
		}
		streamed, err := io.ReadAll(NewPadReader(iotest.HalfReader(bytes.NewReader(data))))
		if err != nil || !bytes.Equal(streamed, out) {
			t.Fatalf("PadReader: %v, equal %v", err, bytes.Equal(streamed, out))
		}
		unstreamed, err := io.ReadAll(NewUnpadReader(bytes.NewReader(streamed)))
		if err != nil || !bytes.Equal(unstreamed, in) {
			t.Fatalf("UnpadReader: %v, equal %v", err, bytes.Equal(unstreamed, in))
		}
	})
}

const benchQuads = 8192 // 1 MiB padded

func BenchmarkPad(b *testing.B) {
	in := randBytes(rand.New(rand.NewPCG(1, 1)), benchQuads*UnpaddedChunk)
	out := make([]byte, benchQuads*PaddedChunk)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		Pad(in, out)
	}
}

func BenchmarkUnpad(b *testing.B) {
	in := randBytes(rand.New(rand.NewPCG(1, 1)), benchQuads*PaddedChunk)
	out := make([]byte, benchQuads*UnpaddedChunk)
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		Unpad(in, out)
	}
}

func BenchmarkPadReader(b *testing.B) {
	in := randBytes(rand.New(rand.NewPCG(1, 1)), benchQuads*UnpaddedChunk)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r := NewPadReader(bytes.NewReader(in))
		for {
			if _, err := r.Read(buf); err != nil {
				break
			}
		}
	}
}
