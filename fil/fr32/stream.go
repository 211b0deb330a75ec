package fr32

import (
	"errors"
	"fmt"
	"io"
)

var (
	// ErrClosed is returned by a Write after Close.
	ErrClosed = errors.New("fr32: write after Close")
	// ErrPartialQuad means padded data ended inside a 128-byte quad.
	ErrPartialQuad = errors.New("fr32: padded data is not a whole number of 128-byte quads")
)

// batchQuads is how many quads the streaming wrappers pad or unpad per call
// of the underlying reader or writer: 32 KiB of padded data, the io.Copy
// buffer size.
const batchQuads = 256

// PadWriter Fr32-pads what is written to it and writes the padded bytes to
// an underlying writer, whole 128-byte quads at a time. Close pads a final
// partial quad with zero bytes, as CommP does with a payload (primitives.md
// §2.1), so n bytes written give ceil(n/127)*128 bytes out. A PadWriter is
// not safe for concurrent use.
type PadWriter struct {
	w       io.Writer
	partial [UnpaddedChunk]byte
	n       int // bytes in partial
	out     []byte
	err     error
}

// NewPadWriter returns a PadWriter that writes padded data to w.
func NewPadWriter(w io.Writer) *PadWriter {
	return &PadWriter{w: w, out: make([]byte, batchQuads*PaddedChunk)}
}

// Write pads p. Bytes that do not complete a quad are kept until the next
// Write or Close. An error from the underlying writer is returned by this and
// every later call.
func (pw *PadWriter) Write(p []byte) (int, error) {
	if pw.err != nil {
		return 0, pw.err
	}
	done := 0
	for len(p) > 0 {
		if pw.n > 0 || len(p) < UnpaddedChunk {
			c := copy(pw.partial[pw.n:], p)
			pw.n += c
			p = p[c:]
			if pw.n == UnpaddedChunk {
				if err := pw.emit(pw.partial[:]); err != nil {
					return done, err
				}
				pw.n = 0
			}
			done += c
			continue
		}
		q := min(len(p)/UnpaddedChunk, batchQuads)
		if err := pw.emit(p[:q*UnpaddedChunk]); err != nil {
			return done, err
		}
		p = p[q*UnpaddedChunk:]
		done += q * UnpaddedChunk
	}
	return done, nil
}

// emit pads whole quads (at most batchQuads) and writes them out.
func (pw *PadWriter) emit(in []byte) error {
	out := pw.out[:PaddedLen(len(in))]
	Pad(in, out)
	if _, err := pw.w.Write(out); err != nil {
		pw.err = err
		return err
	}
	return nil
}

// Close zero-fills and writes a final partial quad. It does not close the
// underlying writer. Later Writes fail with ErrClosed; Close is idempotent.
func (pw *PadWriter) Close() error {
	if errors.Is(pw.err, ErrClosed) {
		return nil
	}
	if pw.err != nil {
		return pw.err
	}
	if pw.n > 0 {
		clear(pw.partial[pw.n:])
		if err := pw.emit(pw.partial[:]); err != nil {
			return err
		}
		pw.n = 0
	}
	pw.err = ErrClosed
	return nil
}

// PadReader reads data from an underlying reader and returns it Fr32-padded.
// A final partial quad is zero-filled, so n bytes read from the underlying
// reader give ceil(n/127)*128 padded bytes. A PadReader is not safe for
// concurrent use.
type PadReader struct {
	conv converter
}

// NewPadReader returns a reader of the Fr32-padded form of r's data.
func NewPadReader(r io.Reader) *PadReader {
	return &PadReader{conv: newConverter(r, UnpaddedChunk, PaddedChunk, Pad, true)}
}

// Read implements io.Reader.
func (pr *PadReader) Read(p []byte) (int, error) { return pr.conv.read(p) }

// UnpadReader reads Fr32-padded data from an underlying reader and returns it
// unpadded. If the padded data ends inside a quad, Read returns an error
// wrapping ErrPartialQuad and io.ErrUnexpectedEOF. An UnpadReader is not safe
// for concurrent use.
type UnpadReader struct {
	conv converter
}

// NewUnpadReader returns a reader of the unpadded form of r's padded data.
func NewUnpadReader(r io.Reader) *UnpadReader {
	return &UnpadReader{conv: newConverter(r, PaddedChunk, UnpaddedChunk, Unpad, false)}
}

// Read implements io.Reader.
func (ur *UnpadReader) Read(p []byte) (int, error) { return ur.conv.read(p) }

// converter is the common part of PadReader and UnpadReader: it reads whole
// chunks of inSize bytes and converts them to outSize bytes each.
type converter struct {
	r               io.Reader
	inSize, outSize int
	convert         func(in, out []byte)
	zeroFill        bool // a final partial chunk is zero-filled, not an error

	in      []byte
	inLen   int
	out     []byte
	outPos  int
	outLen  int
	readErr error // sticky error of r, io.EOF included
}

func newConverter(r io.Reader, inSize, outSize int, convert func(in, out []byte), zeroFill bool) converter {
	return converter{
		r: r, inSize: inSize, outSize: outSize, convert: convert, zeroFill: zeroFill,
		in:  make([]byte, batchQuads*inSize),
		out: make([]byte, batchQuads*outSize),
	}
}

func (c *converter) read(p []byte) (int, error) {
	for c.outPos == c.outLen {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out[c.outPos:c.outLen])
	c.outPos += n
	return n, nil
}

// fill reads at least one whole chunk, or up to the end of the input, and
// converts the whole chunks it has. It returns the underlying reader's error
// (io.EOF included) only once every whole chunk before it has been converted.
func (c *converter) fill() error {
	for c.readErr == nil && c.inLen < c.inSize {
		n, err := c.r.Read(c.in[c.inLen:])
		c.inLen += n
		c.readErr = err
	}
	chunks := c.inLen / c.inSize
	rest := c.inLen % c.inSize
	if chunks == 0 {
		// The reader has failed or ended with less than a chunk left.
		if rest == 0 || !errors.Is(c.readErr, io.EOF) {
			return c.readErr
		}
		if !c.zeroFill {
			c.inLen = 0
			c.readErr = fmt.Errorf("%w: %d bytes after the last whole quad: %w", ErrPartialQuad, rest, io.ErrUnexpectedEOF)
			return c.readErr
		}
		clear(c.in[rest:c.inSize])
		chunks, rest, c.inLen = 1, 0, c.inSize
	}
	c.convert(c.in[:chunks*c.inSize], c.out[:chunks*c.outSize])
	copy(c.in, c.in[chunks*c.inSize:c.inLen])
	c.inLen = rest
	c.outPos, c.outLen = 0, chunks*c.outSize
	return nil
}

// UnpadWriter removes the Fr32 padding of what is written to it and writes
// the data to an underlying writer. Close fails if the padded data ended
// inside a quad. An UnpadWriter is not safe for concurrent use.
type UnpadWriter struct {
	w       io.Writer
	partial [PaddedChunk]byte
	n       int
	out     []byte
	err     error
}

// NewUnpadWriter returns an UnpadWriter that writes unpadded data to w.
func NewUnpadWriter(w io.Writer) *UnpadWriter {
	return &UnpadWriter{w: w, out: make([]byte, batchQuads*UnpaddedChunk)}
}

// Write unpads p. Bytes that do not complete a quad are kept until the next
// Write. An error from the underlying writer is returned by this and every
// later call.
func (uw *UnpadWriter) Write(p []byte) (int, error) {
	if uw.err != nil {
		return 0, uw.err
	}
	done := 0
	for len(p) > 0 {
		if uw.n > 0 || len(p) < PaddedChunk {
			c := copy(uw.partial[uw.n:], p)
			uw.n += c
			p = p[c:]
			if uw.n == PaddedChunk {
				if err := uw.emit(uw.partial[:]); err != nil {
					return done, err
				}
				uw.n = 0
			}
			done += c
			continue
		}
		q := min(len(p)/PaddedChunk, batchQuads)
		if err := uw.emit(p[:q*PaddedChunk]); err != nil {
			return done, err
		}
		p = p[q*PaddedChunk:]
		done += q * PaddedChunk
	}
	return done, nil
}

func (uw *UnpadWriter) emit(in []byte) error {
	out := uw.out[:UnpaddedLen(len(in))]
	Unpad(in, out)
	if _, err := uw.w.Write(out); err != nil {
		uw.err = err
		return err
	}
	return nil
}

// Close checks that the padded data ended on a quad boundary. It does not
// close the underlying writer. Later Writes fail with ErrClosed; Close is
// idempotent.
func (uw *UnpadWriter) Close() error {
	if errors.Is(uw.err, ErrClosed) {
		return nil
	}
	if uw.err != nil {
		return uw.err
	}
	uw.err = ErrClosed
	if uw.n > 0 {
		return fmt.Errorf("%w: %d bytes after the last whole quad", ErrPartialQuad, uw.n)
	}
	return nil
}
