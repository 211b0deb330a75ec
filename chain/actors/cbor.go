package actors

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/internal/cborx"
)

// This file holds the CBOR primitives every type of the package shares: a
// strict header reader, a well-formedness scanner, and a sticky-error encoder
// and decoder that name the object and field of every failure.

// Limits. They are cbor-gen's (and so Lotus's): the network's Rust decoder has
// no smaller ones for the types here, so everything within them that the
// actors accept decodes.
const (
	// MaxParamsSize is the largest params or return DecodeParams reads: a
	// message's Params is one CBOR byte string, limited like any other.
	MaxParamsSize = cbg.ByteArrayMaxLen
	// MaxArrayLength is the most items an array (a list field) may have.
	MaxArrayLength = cbg.MaxLength
	// MaxBytesLength is the longest byte string (proofs, peer IDs, payloads).
	MaxBytesLength = cbg.ByteArrayMaxLen
	// MaxTextLength is the longest text string (deal labels, which the
	// market further limits to 256 bytes).
	MaxTextLength = cbg.MaxLength
	// maxCIDLength bounds a CID's byte string, as cbor-gen's ReadCid does.
	maxCIDLength = 512
)

// Simple values, the only major-7 items actor parameters use.
const (
	simpleFalse = 20
	simpleTrue  = 21
	simpleNull  = 22
)

// byteReader is what the readers need: cbg.CborReader and bytes.Reader are
// both.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// readHeader reads one item header, refusing headers longer than needed
// (ErrNonCanonical), reserved and indefinite-length forms, and major-7 items
// other than false, true and null (ErrMalformed). A clean end of input before
// the header is a bare io.EOF; inside it, io.ErrUnexpectedEOF.
func readHeader(r io.ByteReader) (maj byte, n uint64, err error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, 0, err
	}
	maj, info := first>>5, first&0x1f
	if maj == cbg.MajOther {
		if info < simpleFalse || info > simpleNull {
			return 0, 0, fmt.Errorf("%w: simple value or float 0x%02x (only false, true and null are used)", ErrMalformed, first)
		}
		return maj, uint64(info), nil
	}
	switch {
	case info < 24:
		return maj, uint64(info), nil
	case info <= 27:
		size := 1 << (info - 24)
		for range size {
			b, err := r.ReadByte()
			if err != nil {
				return 0, 0, unexpectedEOF(err)
			}
			n = n<<8 | uint64(b)
		}
		if min := [...]uint64{24, 1 << 8, 1 << 16, 1 << 32}[info-24]; n < min {
			return 0, 0, fmt.Errorf("%w: %d-byte header for %d", ErrNonCanonical, size, n)
		}
		return maj, n, nil
	case info == 31:
		return 0, 0, fmt.Errorf("%w: indefinite-length item 0x%02x", ErrMalformed, first)
	default:
		return 0, 0, fmt.Errorf("%w: reserved header 0x%02x", ErrMalformed, first)
	}
}

// unexpectedEOF turns an end of input inside an item into
// io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readItem reads one whole item from r, checking that it is well-formed,
// canonical DAG-CBOR within the package's limits, and returns its bytes when
// keep is set. Maps are refused: no actor parameter uses one. The work is
// bounded by the input: every header consumes at least one byte, and no
// allocation exceeds MaxBytesLength.
func readItem(r byteReader, keep bool) ([]byte, error) {
	var out []byte
	read := false // whether any byte was consumed, for io.EOF vs io.ErrUnexpectedEOF
	fail := func(err error) ([]byte, error) {
		if read {
			err = unexpectedEOF(err)
		}
		return nil, err
	}
	pending := uint64(1)
	for pending > 0 {
		maj, n, err := readHeader(r)
		if err != nil {
			return fail(err)
		}
		read = true
		pending--
		if keep {
			out = appendHeader(out, maj, n)
		}
		switch maj {
		case cbg.MajUnsignedInt, cbg.MajNegativeInt, cbg.MajOther:
		case cbg.MajByteString, cbg.MajTextString:
			limit := uint64(MaxBytesLength)
			if maj == cbg.MajTextString {
				limit = MaxTextLength
			}
			if n > limit {
				return fail(fmt.Errorf("%w: %s of %d bytes, max %d", ErrTooLarge, cborx.MajorName(maj), n, limit))
			}
			body, err := readBody(r, n)
			if err != nil {
				return fail(err)
			}
			if maj == cbg.MajTextString && !utf8.Valid(body) {
				return fail(fmt.Errorf("%w: text string is not UTF-8", ErrMalformed))
			}
			if keep {
				out = append(out, body...)
			}
		case cbg.MajArray:
			if n > MaxArrayLength {
				return fail(fmt.Errorf("%w: array of %d items, max %d", ErrTooLarge, n, MaxArrayLength))
			}
			pending += n
		case cbg.MajMap:
			return fail(fmt.Errorf("%w: map (actor parameters use none)", ErrCBORType))
		case cbg.MajTag:
			if n != 42 {
				return fail(fmt.Errorf("%w: tag %d (only 42, CIDs, is used)", ErrMalformed, n))
			}
			body, err := readCIDBody(r)
			if err != nil {
				return fail(err)
			}
			if keep {
				out = appendHeader(out, cbg.MajByteString, uint64(len(body)))
				out = append(out, body...)
			}
		}
	}
	return out, nil
}

// appendHeader appends the canonical header of an item.
func appendHeader(b []byte, maj byte, n uint64) []byte {
	if maj == cbg.MajOther {
		return append(b, maj<<5|byte(n))
	}
	return append(b, cbg.CborEncodeMajorType(maj, n)...)
}

// readBody reads the n bytes of a string whose header has been read.
func readBody(r io.Reader, n uint64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, unexpectedEOF(err)
	}
	return b, nil
}

// readCIDBody reads the byte string that follows tag 42: 0x00 then the
// binary CID.
func readCIDBody(r byteReader) ([]byte, error) {
	maj, n, err := readHeader(r)
	if err != nil {
		return nil, unexpectedEOF(err)
	}
	if maj != cbg.MajByteString {
		return nil, fmt.Errorf("%w: tag 42 over a %s, want byte string", ErrCBORType, cborx.MajorName(maj))
	}
	if n > maxCIDLength {
		return nil, fmt.Errorf("%w: CID of %d bytes, max %d", ErrTooLarge, n, maxCIDLength)
	}
	body, err := readBody(r, n)
	if err != nil {
		return nil, err
	}
	if len(body) < 2 || body[0] != 0 {
		return nil, fmt.Errorf("%w: CID bytes must be 0x00 then a binary CID", ErrMalformed)
	}
	return body, nil
}

// DecodeParams decodes message parameters b into v. b must be exactly one
// well-formed, canonical CBOR item of at most MaxParamsSize bytes, within the
// array and byte-string limits, which v must then decode entirely. Anything
// it accepts re-encodes, with v's MarshalCBOR, to b itself.
//
// Zero-length b (no parameters) fails with ErrNoParams, which the network
// answers with ExitIllegalArgument; every other failure is a serialization
// failure (ExitSerialization). ParamsExitCode makes that mapping.
func DecodeParams(b []byte, v cbg.CBORUnmarshaler) error {
	if len(b) == 0 {
		return fmt.Errorf("decode %T: %w", v, ErrNoParams)
	}
	return decodeAll(b, v)
}

// DecodeReturn decodes a method's return value b into v, as DecodeParams
// does. An empty return, which a method with a return value never gives,
// fails with io.ErrUnexpectedEOF.
func DecodeReturn(b []byte, v cbg.CBORUnmarshaler) error {
	if len(b) == 0 {
		return fmt.Errorf("decode %T: empty return: %w", v, io.ErrUnexpectedEOF)
	}
	return decodeAll(b, v)
}

func decodeAll(b []byte, v cbg.CBORUnmarshaler) error {
	if len(b) > MaxParamsSize {
		return fmt.Errorf("decode %T: %w: %d bytes, max %d", v, ErrTooLarge, len(b), MaxParamsSize)
	}
	r := bytes.NewReader(b)
	if _, err := readItem(r, false); err != nil {
		return fmt.Errorf("decode %T: %w", v, unexpectedEOF(err))
	}
	if r.Len() != 0 {
		return fmt.Errorf("decode %T: %w: %d bytes after the item", v, ErrTrailingBytes, r.Len())
	}
	r.Reset(b)
	if err := v.UnmarshalCBOR(r); err != nil {
		return unexpectedEOF(err)
	}
	if r.Len() != 0 {
		// The item is well-formed, so v stopped inside it.
		return fmt.Errorf("decode %T: %w: %d bytes left unread", v, ErrTrailingBytes, r.Len())
	}
	return nil
}

// EncodeParams returns the CBOR bytes of v, a message's Params or a method's
// return. A nil v (abi.EmptyValue: a method without parameters) gives nil,
// zero-length params; note that a typed nil pointer is not nil and encodes as
// CBOR null. The result is at most MaxParamsSize bytes (ErrTooLarge).
func EncodeParams(v cbg.CBORMarshaler) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	if buf.Len() > MaxParamsSize {
		return nil, fmt.Errorf("encode %T: %w: %d bytes, max %d", v, ErrTooLarge, buf.Len(), MaxParamsSize)
	}
	return buf.Bytes(), nil
}

// CheckNoParams checks the params of a method that takes none
// (abi.EmptyValue): they must be zero-length. Anything else, even CBOR null,
// fails with ErrUnexpectedParams, which the network answers with
// ExitIllegalArgument.
func CheckNoParams(b []byte) error {
	if len(b) != 0 {
		return fmt.Errorf("%w: %d bytes for a method without parameters", ErrUnexpectedParams, len(b))
	}
	return nil
}

// ParamsExitCode returns the exit code the network's actors abort with when
// their parameters fail as err does (builtin-actors runtime/src/dispatch.rs):
// ExitIllegalArgument when params are missing or unexpected, else
// ExitSerialization. A nil err gives ExitOk.
func ParamsExitCode(err error) ExitCode {
	switch {
	case err == nil:
		return ExitOk
	case errors.Is(err, ErrNoParams), errors.Is(err, ErrUnexpectedParams):
		return ExitIllegalArgument
	default:
		return ExitSerialization
	}
}

// encoder writes one object's fields; the first error sticks and later
// writes are skipped, so MarshalCBOR methods read as a list of fields.
type encoder struct {
	w    *cbg.CborWriter
	what string
	err  error
}

func newEncoder(w io.Writer, what string) *encoder {
	return &encoder{w: cbg.NewCborWriter(w), what: what}
}

// marshalNull writes CBOR null for a nil receiver, as cbor-gen does; it
// reports whether it did.
func marshalNull(w io.Writer, isNil bool) (bool, error) {
	if !isNil {
		return false, nil
	}
	_, err := w.Write(cbg.CborNull)
	return true, err
}

func (e *encoder) done() error { return e.err }

func (e *encoder) fail(field string, err error) {
	e.err = fmt.Errorf("%s%s: %w", e.what, fieldPath(field), err)
}

// fieldPath formats a field for an error: ": field Sectors: item 2", or
// ": item 2" in a bare list, or nothing for the whole object.
func fieldPath(field string) string {
	switch {
	case field == "":
		return ""
	case strings.HasPrefix(field, "item "):
		return ": " + field
	default:
		return ": field " + field
	}
}

func (e *encoder) header(maj byte, n uint64) {
	if e.err == nil {
		e.err = e.w.WriteMajorTypeHeader(maj, n)
	}
}

// tuple starts a tuple of n fields.
func (e *encoder) tuple(n uint64) { e.header(cbg.MajArray, n) }

func (e *encoder) uint(v uint64) { e.header(cbg.MajUnsignedInt, v) }

func (e *encoder) int(v int64) {
	if v >= 0 {
		e.header(cbg.MajUnsignedInt, uint64(v))
	} else {
		e.header(cbg.MajNegativeInt, uint64(-1-v))
	}
}

func (e *encoder) boolean(v bool) {
	if e.err != nil {
		return
	}
	b := cbg.CborBoolFalse
	if v {
		b = cbg.CborBoolTrue
	}
	_, e.err = e.w.Write(b)
}

func (e *encoder) null() {
	if e.err == nil {
		_, e.err = e.w.Write(cbg.CborNull)
	}
}

func (e *encoder) bytes(field string, b []byte) {
	if e.err != nil {
		return
	}
	if len(b) > MaxBytesLength {
		e.fail(field, fmt.Errorf("%w: %d bytes, max %d", ErrTooLarge, len(b), MaxBytesLength))
		return
	}
	e.header(cbg.MajByteString, uint64(len(b)))
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// list starts a list field of n items.
func (e *encoder) list(field string, n int) {
	if e.err != nil {
		return
	}
	if n > MaxArrayLength {
		e.fail(field, fmt.Errorf("%w: %d items, max %d", ErrTooLarge, n, MaxArrayLength))
		return
	}
	e.header(cbg.MajArray, uint64(n))
}

func (e *encoder) object(field string, m cbg.CBORMarshaler) {
	if e.err != nil {
		return
	}
	if err := m.MarshalCBOR(e.w); err != nil {
		e.fail(field, err)
	}
}

func (e *encoder) address(field string, a address.Address) {
	if e.err != nil {
		return
	}
	if a == address.Undef {
		e.fail(field, fmt.Errorf("%w: address", ErrUndefined))
		return
	}
	e.object(field, &a)
}

func (e *encoder) cid(field string, c cid.Cid) {
	if e.err != nil {
		return
	}
	if !c.Defined() {
		e.fail(field, fmt.Errorf("%w: CID", ErrUndefined))
		return
	}
	if err := cbg.WriteCid(e.w, c); err != nil {
		e.fail(field, err)
	}
}

func (e *encoder) optCID(field string, c *cid.Cid) {
	if c == nil {
		e.null()
		return
	}
	e.cid(field, *c)
}

func (e *encoder) token(field string, t big.TokenAmount) {
	e.object(field, &t.Int)
}

func (e *encoder) bitfield(field string, b bitfield.BitField) {
	e.object(field, b)
}

func (e *encoder) addresses(field string, as []address.Address) {
	e.list(field, len(as))
	for i, a := range as {
		e.address(itemField(field, i), a)
	}
}

func (e *encoder) byteList(field string, bs [][]byte) {
	e.list(field, len(bs))
	for i, b := range bs {
		e.bytes(itemField(field, i), b)
	}
}

func (e *encoder) uints(field string, vs []uint64) {
	e.list(field, len(vs))
	for _, v := range vs {
		e.uint(v)
	}
}

// encodeList writes a list field of objects.
func encodeList[T any, P interface {
	*T
	cbg.CBORMarshaler
}](e *encoder, field string, items []T) {
	e.list(field, len(items))
	for i := range items {
		e.object(itemField(field, i), P(&items[i]))
	}
}

func itemField(field string, i int) string {
	if field == "" {
		return fmt.Sprintf("item %d", i)
	}
	return fmt.Sprintf("%s: item %d", field, i)
}

// decoder reads one object's fields with a sticky first error, like encoder.
// Until the first byte of the object is read, an end of input stays a bare
// io.EOF, which cbor-gen callers take as a clean end of stream; after it,
// it becomes io.ErrUnexpectedEOF.
type decoder struct {
	r       *cbg.CborReader
	what    string
	err     error
	started bool
}

func newDecoder(r io.Reader, what string) *decoder {
	return &decoder{r: cbg.NewCborReader(r), what: what}
}

func (d *decoder) done() error { return d.err }

func (d *decoder) fail(field string, err error) {
	if d.err != nil {
		return
	}
	if err == io.EOF && !d.started {
		d.err = io.EOF
		return
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	} else if errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w: %v", io.ErrUnexpectedEOF, err)
	}
	d.err = fmt.Errorf("%s%s: %w", d.what, fieldPath(field), err)
}

// header reads a header of major type want.
func (d *decoder) header(field string, want byte) uint64 {
	if d.err != nil {
		return 0
	}
	maj, n, err := readHeader(d.r)
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.started = true
	if maj != want {
		d.fail(field, fmt.Errorf("%w: %s, want %s", ErrCBORType, cborx.MajorName(maj), cborx.MajorName(want)))
		return 0
	}
	return n
}

// tuple reads the header of the object's tuple of n fields.
func (d *decoder) tuple(n uint64) { d.nested("", n) }

// nested reads the header of a tuple of n fields held inline in field.
func (d *decoder) nested(field string, n uint64) {
	got := d.header(field, cbg.MajArray)
	if d.err == nil && got != n {
		d.fail(field, fmt.Errorf("%w: array of %d, want %d", ErrFieldCount, got, n))
	}
}

func (d *decoder) uint(field string) uint64 {
	return d.header(field, cbg.MajUnsignedInt)
}

func (d *decoder) uint32(field string) uint32 {
	v := d.uint(field)
	if v > math.MaxUint32 {
		d.fail(field, fmt.Errorf("%w: %d does not fit uint32", ErrIntOverflow, v))
		return 0
	}
	return uint32(v)
}

func (d *decoder) int(field string) int64 {
	if d.err != nil {
		return 0
	}
	maj, n, err := readHeader(d.r)
	if err != nil {
		d.fail(field, err)
		return 0
	}
	d.started = true
	switch {
	case maj != cbg.MajUnsignedInt && maj != cbg.MajNegativeInt:
		d.fail(field, fmt.Errorf("%w: %s, want integer", ErrCBORType, cborx.MajorName(maj)))
	case n > math.MaxInt64 && maj == cbg.MajNegativeInt:
		d.fail(field, fmt.Errorf("%w: -1-%d does not fit int64", ErrIntOverflow, n))
	case n > math.MaxInt64:
		d.fail(field, fmt.Errorf("%w: %d does not fit int64", ErrIntOverflow, n))
	case maj == cbg.MajNegativeInt:
		return -1 - int64(n)
	default:
		return int64(n)
	}
	return 0
}

func (d *decoder) boolean(field string) bool {
	v := d.header(field, cbg.MajOther)
	if d.err == nil && v == simpleNull {
		d.fail(field, fmt.Errorf("%w: null, want bool", ErrCBORType))
	}
	return v == simpleTrue
}

// isNull consumes a CBOR null and reports true, or leaves the input untouched
// and reports false: how optional fields are read.
func (d *decoder) isNull(field string) bool {
	if d.err != nil {
		return false
	}
	b, err := d.r.ReadByte()
	if err != nil {
		d.fail(field, err)
		return false
	}
	if b == cbg.CborNull[0] {
		d.started = true
		return true
	}
	if err := d.r.UnreadByte(); err != nil {
		d.fail(field, err)
	}
	return false
}

// bytes reads a byte string of at most MaxBytesLength; an empty string reads
// as nil, as cbor-gen does.
func (d *decoder) bytes(field string) []byte {
	n := d.header(field, cbg.MajByteString)
	if d.err != nil {
		return nil
	}
	if n > MaxBytesLength {
		d.fail(field, fmt.Errorf("%w: %d bytes, max %d", ErrTooLarge, n, MaxBytesLength))
		return nil
	}
	b, err := readBody(d.r, n)
	if err != nil {
		d.fail(field, err)
	}
	return b
}

// list reads the header of a list field of at most MaxArrayLength items.
func (d *decoder) list(field string) int {
	n := d.header(field, cbg.MajArray)
	if d.err == nil && n > MaxArrayLength {
		d.fail(field, fmt.Errorf("%w: %d items, max %d", ErrTooLarge, n, MaxArrayLength))
		return 0
	}
	return int(n)
}

func (d *decoder) object(field string, u cbg.CBORUnmarshaler) {
	if d.err != nil {
		return
	}
	if err := u.UnmarshalCBOR(d.r); err != nil {
		d.fail(field, err)
		return
	}
	d.started = true
}

// exact reads an object of a type from another package through its own
// UnmarshalCBOR, and refuses it unless it re-encodes to the bytes read: those
// decoders accept some non-canonical forms (big ints with leading zero bytes),
// which the package promises to refuse.
func (d *decoder) exact(field string, v interface {
	cbg.CBORUnmarshaler
	cbg.CBORMarshaler
}) {
	if d.err != nil {
		return
	}
	raw, err := readItem(d.r, true)
	if err != nil {
		d.fail(field, err)
		return
	}
	d.started = true
	r := bytes.NewReader(raw)
	if err := v.UnmarshalCBOR(r); err != nil {
		d.fail(field, unexpectedEOF(err))
		return
	}
	var buf bytes.Buffer
	if r.Len() != 0 {
		d.fail(field, fmt.Errorf("%w: %d bytes of the item left unread", ErrMalformed, r.Len()))
	} else if err := v.MarshalCBOR(&buf); err != nil {
		d.fail(field, err)
	} else if !bytes.Equal(buf.Bytes(), raw) {
		d.fail(field, fmt.Errorf("%w: %x re-encodes as %x", ErrNonCanonical, raw, buf.Bytes()))
	}
}

func (d *decoder) address(field string) address.Address {
	var a address.Address
	d.object(field, &a)
	return a
}

// cid reads a tag-42 CID.
func (d *decoder) cid(field string) cid.Cid {
	tag := d.header(field, cbg.MajTag)
	if d.err != nil {
		return cid.Undef
	}
	if tag != 42 {
		d.fail(field, fmt.Errorf("%w: tag %d, want 42", ErrMalformed, tag))
		return cid.Undef
	}
	body, err := readCIDBody(d.r)
	if err != nil {
		d.fail(field, err)
		return cid.Undef
	}
	c, err := cid.Cast(body[1:])
	if err != nil {
		d.fail(field, fmt.Errorf("%w: %w", ErrMalformed, err))
		return cid.Undef
	}
	return c
}

func (d *decoder) optCID(field string) *cid.Cid {
	if d.isNull(field) || d.err != nil {
		return nil
	}
	c := d.cid(field)
	if d.err != nil {
		return nil
	}
	return &c
}

// token reads a big int. Beyond fil/big (and the network), it refuses
// non-minimal payloads — a bare sign byte, negative zero, leading zero
// bytes — so that every accepted input re-encodes to itself.
func (d *decoder) token(field string) big.TokenAmount {
	n := d.header(field, cbg.MajByteString)
	if d.err != nil {
		return big.TokenAmount{}
	}
	if n > big.MaxSerializedLength {
		d.fail(field, fmt.Errorf("%w: big int of %d bytes, max %d", ErrTooLarge, n, big.MaxSerializedLength))
		return big.TokenAmount{}
	}
	b, err := readBody(d.r, n)
	if err != nil {
		d.fail(field, err)
		return big.TokenAmount{}
	}
	x, err := big.FromBytes(b)
	if err != nil {
		d.fail(field, err)
		return big.TokenAmount{}
	}
	if !bytes.Equal(x.Bytes(), b) {
		d.fail(field, fmt.Errorf("%w: big int payload %x (= %s) is not minimal", ErrNonCanonical, b, x))
		return big.TokenAmount{}
	}
	return big.TokenAmount{Int: x}
}

// bitfield reads a bitfield, which must be canonical RLE+ as the FVM
// requires (bitfield.DecodeStrict).
func (d *decoder) bitfield(field string) bitfield.BitField {
	n := d.header(field, cbg.MajByteString)
	if d.err != nil {
		return bitfield.BitField{}
	}
	if n > bitfield.MaxEncodedSize {
		d.fail(field, fmt.Errorf("%w: bitfield of %d bytes, max %d", ErrTooLarge, n, bitfield.MaxEncodedSize))
		return bitfield.BitField{}
	}
	b, err := readBody(d.r, n)
	if err != nil {
		d.fail(field, err)
		return bitfield.BitField{}
	}
	bf, err := bitfield.DecodeStrict(b)
	if err != nil {
		if errors.Is(err, bitfield.ErrNotCanonical) {
			err = fmt.Errorf("%w: %w", ErrNonCanonical, err)
		}
		d.fail(field, err)
		return bitfield.BitField{}
	}
	return bf
}

// addresses reads a list of addresses; an empty list reads as nil.
func (d *decoder) addresses(field string) []address.Address {
	n := d.list(field)
	var out []address.Address
	for i := 0; i < n && d.err == nil; i++ {
		a := d.address(itemField(field, i))
		out = append(out, a)
	}
	return out
}

// byteList reads a list of byte strings; an empty list reads as nil.
func (d *decoder) byteList(field string) [][]byte {
	n := d.list(field)
	var out [][]byte
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.bytes(itemField(field, i)))
	}
	return out
}

// uints reads a list of unsigned integers; an empty list reads as nil.
func (d *decoder) uints(field string) []uint64 {
	n := d.list(field)
	var out []uint64
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.uint(itemField(field, i)))
	}
	return out
}

// decodeList reads a list field of objects; an empty list reads as nil.
// Items are appended as they decode, so a header claiming many items costs
// nothing until they are present.
func decodeList[T any, P interface {
	*T
	cbg.CBORUnmarshaler
}](d *decoder, field string) []T {
	n := d.list(field)
	var out []T
	for i := 0; i < n && d.err == nil; i++ {
		var v T
		d.object(itemField(field, i), P(&v))
		out = append(out, v)
	}
	if d.err != nil {
		return nil
	}
	return out
}
