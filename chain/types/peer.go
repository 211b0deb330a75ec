package types

import (
	"fmt"
	"strings"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
)

// PeerID is a libp2p peer ID, held as its binary multihash like go-libp2p's
// peer.ID (miner state stores exactly these bytes). Its text and JSON form
// is base58 ("12D3KooW…", "Qm…"); parsing also accepts the CIDv1 form with
// the libp2p-key codec, as peer.Decode does.
type PeerID string

// libp2pKeyCodec is the multicodec of CIDs naming peer IDs.
const libp2pKeyCodec = 0x72

// PeerIDFromBytes returns the peer ID whose binary form is b, which must be a
// multihash.
func PeerIDFromBytes(b []byte) (PeerID, error) {
	if _, err := multihash.Cast(b); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidPeerID, err)
	}
	return PeerID(b), nil
}

// ParsePeerID parses a base58 peer ID or a libp2p-key CID.
func ParsePeerID(s string) (PeerID, error) {
	if strings.HasPrefix(s, "Qm") || strings.HasPrefix(s, "1") {
		m, err := multihash.FromB58String(s)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %w", ErrInvalidPeerID, s, err)
		}
		return PeerID(m), nil
	}
	c, err := cid.Decode(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w", ErrInvalidPeerID, s, err)
	}
	if c.Type() != libp2pKeyCodec {
		return "", fmt.Errorf("%w: %q: CID codec 0x%x, want libp2p-key", ErrInvalidPeerID, s, c.Type())
	}
	return PeerID(c.Hash()), nil
}

// Bytes returns the binary multihash.
func (p PeerID) Bytes() []byte { return []byte(p) }

// String returns the base58 form.
func (p PeerID) String() string { return multihash.Multihash(p).B58String() }

// MarshalText writes the base58 form.
func (p PeerID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses what ParsePeerID accepts.
func (p *PeerID) UnmarshalText(b []byte) error {
	v, err := ParsePeerID(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
