//go:build race

package commp

// raceEnabled shrinks the large-stream tests: the race detector slows the
// Go parts of hashing (padding, the generator) by an order of magnitude.
const raceEnabled = true
