//go:build race

package ptree

// raceEnabled shrinks the large-stream test: the race detector slows the Go
// parts of hashing (field additions, leaf decoding) several times.
const raceEnabled = true
