//go:build !race

package commp

const raceEnabled = false
