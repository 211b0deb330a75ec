package bitfield

import (
	"fmt"
	"math"
)

// Union returns the bits set in any of bs; with no arguments, the empty set.
// It runs in O(R log k) for R runs in all over k fields.
func Union(bs ...BitField) BitField {
	switch len(bs) {
	case 0:
		return BitField{}
	case 1:
		return bs[0]
	case 2:
		return BitField{spans: union2(bs[0].spans, bs[1].spans)}
	}
	mid := len(bs) / 2
	return BitField{spans: union2(Union(bs[:mid]...).spans, Union(bs[mid:]...).spans)}
}

// union2 merges two canonical span lists into a new canonical list. It
// returns one of its inputs, unchanged, when the other is empty.
func union2(a, b []span) []span {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]span, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var s span
		if j == len(b) || (i < len(a) && a[i].first <= b[j].first) {
			s = a[i]
			i++
		} else {
			s = b[j]
			j++
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			// Overlapping or adjacent: extend. last.last+1 cannot wrap
			// here unless last ends at MaxUint64, which covers s anyway.
			if last.last == math.MaxUint64 || s.first <= last.last+1 {
				last.last = max(last.last, s.last)
				continue
			}
		}
		out = append(out, s)
	}
	return out
}

// Intersect returns the bits set in both a and b.
func Intersect(a, b BitField) BitField {
	var out []span
	i, j := 0, 0
	for i < len(a.spans) && j < len(b.spans) {
		x, y := a.spans[i], b.spans[j]
		if lo, hi := max(x.first, y.first), min(x.last, y.last); lo <= hi {
			// Pieces never touch: two adjacent pieces would need adjacent
			// spans in a or in b.
			out = append(out, span{lo, hi})
		}
		if x.last < y.last {
			i++
		} else {
			j++
		}
	}
	return BitField{spans: out}
}

// Subtract returns the bits set in a and not in b.
func Subtract(a, b BitField) BitField {
	if len(a.spans) == 0 || len(b.spans) == 0 {
		return a
	}
	var out []span
	j := 0
	for _, s := range a.spans {
		// Skip the spans of b wholly before s.
		for j < len(b.spans) && b.spans[j].last < s.first {
			j++
		}
		cur := s.first
		done := false
		for k := j; k < len(b.spans) && b.spans[k].first <= s.last; k++ {
			c := b.spans[k]
			if c.first > cur {
				out = append(out, span{cur, c.first - 1})
			}
			if c.last >= s.last {
				done = true
				break
			}
			cur = max(cur, c.last+1)
		}
		if !done {
			out = append(out, span{cur, s.last})
		}
	}
	return BitField{spans: out}
}

// Slice treats b as an ordered list of set bits and returns the count bits
// after the first skip of them, as a bitfield at their original positions.
// It fails with ErrNotEnoughBits unless b has at least skip+count set bits.
func (b BitField) Slice(skip, count uint64) (BitField, error) {
	if count == 0 {
		return BitField{}, nil
	}
	var out []span
	need, left := count, skip // bits still to take and to skip
	for _, s := range b.spans {
		l := s.last - s.first // length-1, so the full span does not wrap
		if left > l {
			left -= l + 1
			continue
		}
		first := s.first + left
		left = 0
		avail := s.last - first // length-1 of what is left of s
		if need-1 <= avail {
			out = append(out, span{first, first + need - 1})
			return BitField{spans: out}, nil
		}
		out = append(out, span{first, s.last})
		need -= avail + 1
	}
	return BitField{}, fmt.Errorf("bitfield slice: %w: %d set, want %d after skipping %d", ErrNotEnoughBits, b.Count(), count, skip)
}
