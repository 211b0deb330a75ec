// Package actors is the builtin actors' interface as messages see it: the
// singleton actors' IDs and addresses, method numbers (including the FRC-0042
// exported numbers and the methods the network has removed), exit codes, and
// the CBOR parameters and returns of the power, miner and market methods that
// Strata sends and that the embedded devnet implements, encoded exactly as
// the network encodes them (research/actor-params.md).
//
// # Encoding
//
// Every struct is a CBOR array of its fields in declared order (a "tuple";
// field names never reach the wire). A few types mirror Rust
// `serde(transparent)` wrappers and encode as their single inner value: they
// say so in their doc comment (AddBalanceParams is a bare address,
// WithdrawBalanceReturn a bare big int, ProveCommitSectors3Return a bare
// BatchReturn, SectorContentChangedParams a bare array). Unsigned fields
// (sector and deal numbers, deadline and partition indexes, piece sizes,
// actor and allocation IDs) use CBOR major type 0; epochs and registered
// proof types are signed. Big ints are byte strings (sign byte, big-endian
// magnitude; zero is empty), addresses byte strings of protocol || payload,
// CIDs tag 42 over 0x00 || CID bytes, bitfields byte strings of RLE+.
//
// A method without parameters or return (abi.EmptyValue) carries zero-length
// bytes, not CBOR null: EncodeParams(nil) is nil and CheckNoParams enforces
// it.
//
// # Decoding
//
// DecodeParams (and DecodeReturn) is how untrusted bytes should be read. It
// bounds the input by MaxParamsSize, checks that it is exactly one
// well-formed, canonical CBOR item within cbor-gen's limits (arrays of at
// most MaxArrayLength items, byte strings of at most MaxBytesLength), refuses
// trailing bytes, and then decodes. Decoding is strict in the way the
// network's Rust decoder is (minimal headers, canonical bitfields, exact tuple
// lengths, integers in range) and, beyond it, refuses non-minimal big-int
// payloads, so that anything DecodeParams accepts re-encodes to the identical
// bytes. Errors wrap the sentinels in errors.go and name the object and field;
// ParamsExitCode maps them to the exit code the network answers with.
//
// Values are plain data: safe to read from many goroutines, not to modify
// while others read them.
package actors
