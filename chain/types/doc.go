// Package types holds the Go types of the Lotus full-node JSON-RPC API v1
// that Strata's chain interface uses, with Lotus's exact JSON and, for the
// objects that live on chain, their DAG-CBOR tuple encoding.
//
// The JSON follows Lotus (research/lotus-api-v1.md §4): field names are the Go
// field names in struct order; CIDs are {"/":"bafy…"} and cid.Undef is null;
// a TipSetKey is an array of CID objects; big integers and token amounts are
// decimal strings; epochs, nonces, sizes and gas limits are JSON numbers;
// byte slices are padded standard base64, nil being null; addresses are
// strings, Undef being "<empty>"; pointers are null when absent. Decoding
// ignores unknown fields, so newer nodes that add fields stay readable, and
// rejects values of the wrong JSON type, naming the field where encoding/json
// reports it. DecodeJSON bounds the input size.
//
// Chain objects (block headers, receipts, actors, sector and deal state) also
// implement cbor-gen's CBORMarshaler and CBORUnmarshaler with the encoding of
// lotus chain/types and go-state-types: every struct is a CBOR array of its
// fields in order (research/actor-params.md §0). A block's CID is the
// dag-cbor, blake2b-256 CIDv1 of its header's CBOR.
//
// Messages, signatures, deal proposals, addresses and amounts come from
// fil/types, fil/sig, fil/address and fil/big and are used as they are.
//
// Values of these types are plain data: safe to read from many goroutines,
// not to modify while others read them. TipSet and TipSetKey are immutable.
package types
