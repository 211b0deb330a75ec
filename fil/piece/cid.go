package piece

import (
	"fmt"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multicodec"
	mh "github.com/multiformats/go-multihash"
	"github.com/multiformats/go-varint"
)

// Codes of the commitment CIDs (primitives.md §2.3; multicodec table).
const (
	// CodecUnsealed is fil-commitment-unsealed, the codec of v1 piece CIDs and
	// of unsealed sector CIDs (CommD).
	CodecUnsealed = uint64(multicodec.FilCommitmentUnsealed) // 0xf101
	// CodecSealed is fil-commitment-sealed, the codec of sealed sector CIDs.
	CodecSealed = uint64(multicodec.FilCommitmentSealed) // 0xf102
	// CodecRaw is raw, the codec of v2 piece CIDs (FRC-0069).
	CodecRaw = uint64(multicodec.Raw) // 0x55
	// HashV1 is sha2-256-trunc254-padded: a bare 32-byte tree root.
	HashV1 = uint64(multicodec.Sha2_256Trunc254Padded) // 0x1012
	// HashV2 is fr32-sha256-trunc254-padbintree: padding, height and root.
	HashV2 = uint64(multicodec.Fr32Sha256Trunc254Padbintree) // 0x1011
	// HashSealed is poseidon-bls12_381-a2-fc1, the hash of CommR.
	HashSealed = uint64(multicodec.PoseidonBls12_381A2Fc1) // 0xb401
)

const (
	// MinHeight is the height of the smallest piece tree: 128 bytes, 4 leaves.
	MinHeight = 2
	// MaxHeight is the height of a MaxPaddedSize tree.
	MaxHeight = 58
)

// Info is a piece as deals and sectors list it: its CID and padded size
// (go-state-types abi.PieceInfo).
type Info struct {
	Size PaddedSize
	CID  cid.Cid
}

// CIDv1 returns the v1 piece CID of a piece commitment: CIDv1 with codec
// fil-commitment-unsealed and multihash sha2-256-trunc254-padded. The same
// form names an unsealed sector (CommD).
func CIDv1(commP [32]byte) cid.Cid { return commitmentCID(CodecUnsealed, HashV1, commP) }

// SealedCID returns the CID of a sealed sector's replica commitment (CommR):
// codec fil-commitment-sealed, multihash poseidon-bls12_381-a2-fc1.
func SealedCID(commR [32]byte) cid.Cid { return commitmentCID(CodecSealed, HashSealed, commR) }

func commitmentCID(codec, hash uint64, comm [32]byte) cid.Cid {
	m, _ := mh.Encode(comm[:], hash) // the error return is always nil
	return cid.NewCidV1(codec, m)
}

// DecodeV1 returns the commitment of a v1 piece CID (or an unsealed sector
// CID). Errors wrap ErrNotPieceCID for another codec or multihash and
// ErrDigest for a digest that is not 32 bytes.
func DecodeV1(c cid.Cid) ([32]byte, error) {
	return decodeCommitment(c, CodecUnsealed, HashV1, "v1 piece")
}

// DecodeSealed returns CommR from a sealed sector CID. Errors are as for
// DecodeV1.
func DecodeSealed(c cid.Cid) ([32]byte, error) {
	return decodeCommitment(c, CodecSealed, HashSealed, "sealed sector")
}

func decodeCommitment(c cid.Cid, codec, hash uint64, kind string) ([32]byte, error) {
	var comm [32]byte
	if !c.Defined() {
		return comm, fmt.Errorf("%w: undefined CID is not a %s CID", ErrNotPieceCID, kind)
	}
	if got := c.Type(); got != codec || c.Version() != 1 {
		return comm, fmt.Errorf("%w: %s CID needs CIDv1 codec %#x, got v%d codec %#x", ErrNotPieceCID, kind, codec, c.Version(), got)
	}
	d, err := mh.Decode(c.Hash())
	if err != nil {
		return comm, fmt.Errorf("%w: %s CID multihash: %v", ErrDigest, kind, err)
	}
	if d.Code != hash {
		return comm, fmt.Errorf("%w: %s CID needs multihash %#x, got %#x", ErrNotPieceCID, kind, hash, d.Code)
	}
	if len(d.Digest) != len(comm) {
		return comm, fmt.Errorf("%w: %s CID digest is %d bytes, want %d", ErrDigest, kind, len(d.Digest), len(comm))
	}
	copy(comm[:], d.Digest)
	return comm, nil
}

// V2 is what a v2 piece CID (FRC-0069) says about its piece: the tree root,
// the tree height and how many zero bytes pad the payload to the tree's data
// capacity.
type V2 struct {
	CommP   [32]byte
	Height  uint8
	Padding uint64
}

// capacity returns the data capacity of a tree of height h: (32<<h)·127/128.
func capacity(h uint8) uint64 { return uint64(32) << h / 128 * 127 }

// NewV2 returns the V2 of a piece whose payload of payloadSize bytes has root
// commP. The height is that of the smallest tree that holds the payload;
// payloads under 127 bytes are padded up to 127 (FRC-0069; go-fil-commcid
// rejects them, this follows the FRC).
func NewV2(commP [32]byte, payloadSize uint64) (V2, error) {
	size, err := PaddedSizeFor(payloadSize)
	if err != nil {
		return V2{}, err
	}
	h := uint8(size.Height())
	return V2{CommP: commP, Height: h, Padding: capacity(h) - payloadSize}, nil
}

// Validate checks the height and padding (FRC-0069): the height is between
// MinHeight and MaxHeight, and the padding leaves a payload that needs this
// height: more than half the capacity, except that a height-2 tree holds any
// payload of 0 to 127 bytes. Errors wrap ErrDigest or ErrPadding.
func (v V2) Validate() error {
	if v.Height < MinHeight || v.Height > MaxHeight {
		return fmt.Errorf("%w: v2 tree height %d is outside [%d, %d]", ErrDigest, v.Height, MinHeight, MaxHeight)
	}
	c := capacity(v.Height)
	if v.Padding > c {
		return fmt.Errorf("%w: padding %d is larger than the %d-byte capacity of a height-%d tree", ErrPadding, v.Padding, c, v.Height)
	}
	if v.Height > MinHeight && v.Padding >= c-c/2 {
		return fmt.Errorf("%w: padding %d is too large: a payload of %d bytes fits a tree of height %d, not %d",
			ErrPadding, v.Padding, c-v.Padding, v.Height-1, v.Height)
	}
	return nil
}

// PayloadSize returns the number of payload bytes: capacity minus padding.
func (v V2) PayloadSize() uint64 { return capacity(v.Height) - v.Padding }

// Size returns the padded size of the piece: 32 << Height.
func (v V2) Size() PaddedSize { return PaddedSize(32) << v.Height }

// CID returns the v2 piece CID: raw codec, multihash
// fr32-sha256-trunc254-padbintree, digest uvarint(padding) || height || root.
// It fails if v is not valid.
func (v V2) CID() (cid.Cid, error) {
	if err := v.Validate(); err != nil {
		return cid.Undef, err
	}
	digest := make([]byte, varint.MaxLenUvarint63+1+32)
	n := varint.PutUvarint(digest, v.Padding)
	digest[n] = v.Height
	n += 1 + copy(digest[n+1:], v.CommP[:])
	digest = digest[:n]
	m, _ := mh.Encode(digest, HashV2) // the error return is always nil
	return cid.NewCidV1(CodecRaw, m), nil
}

// CIDv2 returns the v2 piece CID of a payload of payloadSize bytes whose
// piece commitment is commP.
func CIDv2(commP [32]byte, payloadSize uint64) (cid.Cid, error) {
	v, err := NewV2(commP, payloadSize)
	if err != nil {
		return cid.Undef, err
	}
	return v.CID()
}

// DecodeV2 parses and validates a v2 piece CID. Errors wrap ErrNotPieceCID
// for another codec or multihash, ErrDigest for a malformed digest or height
// and ErrPadding for padding out of range.
func DecodeV2(c cid.Cid) (V2, error) {
	if !c.Defined() {
		return V2{}, fmt.Errorf("%w: undefined CID is not a v2 piece CID", ErrNotPieceCID)
	}
	if got := c.Type(); got != CodecRaw || c.Version() != 1 {
		return V2{}, fmt.Errorf("%w: v2 piece CID needs CIDv1 codec raw (%#x), got v%d codec %#x", ErrNotPieceCID, CodecRaw, c.Version(), got)
	}
	d, err := mh.Decode(c.Hash())
	if err != nil {
		return V2{}, fmt.Errorf("%w: v2 piece CID multihash: %v", ErrDigest, err)
	}
	if d.Code != HashV2 {
		return V2{}, fmt.Errorf("%w: v2 piece CID needs multihash %#x, got %#x", ErrNotPieceCID, HashV2, d.Code)
	}
	padding, n, err := varint.FromUvarint(d.Digest)
	if err != nil {
		return V2{}, fmt.Errorf("%w: v2 padding varint: %v", ErrDigest, err)
	}
	if rest := len(d.Digest) - n; rest != 33 {
		return V2{}, fmt.Errorf("%w: v2 digest has %d bytes after the padding varint, want 33 (height and 32-byte root)", ErrDigest, rest)
	}
	v := V2{Padding: padding, Height: d.Digest[n]}
	copy(v.CommP[:], d.Digest[n+1:])
	if err := v.Validate(); err != nil {
		return V2{}, err
	}
	return v, nil
}

// ToV2 converts a v1 piece CID and the payload size of its piece to a v2
// piece CID.
func ToV2(v1 cid.Cid, payloadSize uint64) (cid.Cid, error) {
	commP, err := DecodeV1(v1)
	if err != nil {
		return cid.Undef, err
	}
	return CIDv2(commP, payloadSize)
}

// ToV1 converts a v2 piece CID to a v1 piece CID and the piece's padded size.
func ToV1(v2 cid.Cid) (cid.Cid, PaddedSize, error) {
	v, err := DecodeV2(v2)
	if err != nil {
		return cid.Undef, 0, err
	}
	return CIDv1(v.CommP), v.Size(), nil
}

// Decode returns the commitment of a v1 or v2 piece CID, with the padded size
// for v2 and 0 (unknown) for v1.
func Decode(c cid.Cid) ([32]byte, PaddedSize, error) {
	if c.Defined() && c.Type() == CodecRaw {
		v, err := DecodeV2(c)
		if err != nil {
			return [32]byte{}, 0, err
		}
		return v.CommP, v.Size(), nil
	}
	comm, err := DecodeV1(c)
	return comm, 0, err
}

// Parse parses a v1 or v2 piece CID from its string form, in any multibase.
func Parse(s string) (cid.Cid, error) {
	c, err := cid.Decode(s)
	if err != nil {
		return cid.Undef, fmt.Errorf("piece: parse CID %q: %w", s, err)
	}
	return c, check(c)
}

// Cast parses a v1 or v2 piece CID from its binary form.
func Cast(b []byte) (cid.Cid, error) {
	c, err := cid.Cast(b)
	if err != nil {
		return cid.Undef, fmt.Errorf("piece: CID bytes: %w", err)
	}
	return c, check(c)
}

func check(c cid.Cid) error {
	if _, _, err := Decode(c); err != nil {
		return fmt.Errorf("%s: %w", c, err)
	}
	return nil
}
