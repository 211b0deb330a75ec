package processor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the default limit on one protocol line, in either
// direction. It is large because some payloads are: a C1 output for a 32 GiB
// sector, carried in a C2 task, is tens of MiB of JSON.
const DefaultMaxLineBytes = 256 << 20

// overPrefixBytes is how much of an oversized line is kept: enough to read the
// id, which every known producer writes first.
const overPrefixBytes = 4 << 10

// lineReader splits a stream into lines of at most max bytes without ever
// holding more than about max bytes of one line in memory.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

func newLineReader(r io.Reader, limit int) *lineReader {
	size := min(64<<10, max(4<<10, limit+2))
	return &lineReader{br: bufio.NewReaderSize(r, size), max: limit}
}

// next returns the next line without its "\n" or "\r\n". The line is valid
// until the next call. over reports a line longer than max bytes; line then
// holds only its first bytes (at most overPrefixBytes) and the rest was
// discarded. A last line without a newline is returned before io.EOF. Any other
// read error is returned as is, and the partial line is dropped.
func (r *lineReader) next() (line []byte, over bool, err error) {
	if cap(r.buf) > 1<<20 {
		r.buf = nil // do not pin the memory of one huge line for the stream's lifetime
	}
	r.buf = r.buf[:0]
	n := 0
	for {
		chunk, err := r.br.ReadSlice('\n')
		n += len(chunk)
		if !over {
			r.buf = append(r.buf, chunk...)
			// More than max content bytes plus a "\r\n" terminator: over,
			// whatever the terminator turns out to be.
			if len(r.buf) > r.max+2 {
				over = true
				r.buf = r.buf[:min(len(r.buf), overPrefixBytes)]
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if n == 0 {
				return nil, false, io.EOF
			}
		default:
			return nil, false, err
		}
		if over {
			return r.buf, true, nil
		}
		line = bytes.TrimSuffix(r.buf, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > r.max {
			return line[:min(len(line), overPrefixBytes)], true, nil
		}
		return line, false, nil
	}
}

// peekID reads the top-level "id" of a JSON object from the start of b, which
// may be truncated or malformed after the id. It reports false if no id that is
// a u64 comes before the first error.
func peekID(b []byte) (uint64, bool) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return 0, false
		}
		key, ok := tok.(string)
		if !ok {
			return 0, false // '}': no id
		}
		if key == "id" {
			tok, err := d.Token()
			if err != nil {
				return 0, false
			}
			num, ok := tok.(json.Number)
			if !ok {
				return 0, false
			}
			id, err := strconv.ParseUint(num.String(), 10, 64)
			return id, err == nil
		}
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return 0, false
		}
	}
}

// decodeObject decodes a JSON object line into its members. Keys match
// exactly, as in serde, not case-insensitively as encoding/json matches struct
// fields.
func decodeObject(line []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not an object")
	}
	return m, nil
}

// decodeID decodes the "id" member: a JSON integer in the u64 range.
func decodeID(m map[string]json.RawMessage) (uint64, error) {
	raw, ok := m["id"]
	if !ok || string(raw) == "null" {
		return 0, errors.New("no id")
	}
	var id uint64
	if err := json.Unmarshal(raw, &id); err != nil {
		return 0, fmt.Errorf("id: %w", err)
	}
	return id, nil
}

// ParseRequest decodes one request line. It fails if the line is not valid
// UTF-8 (which serde rejects, and which the task would carry into the reply),
// or not a JSON object with an "id" that is a u64 and a "task". Unknown members
// are ignored, as serde does.
func ParseRequest(line []byte) (Request, error) {
	if !utf8.Valid(line) {
		return Request{}, errors.New("malformed request: not valid UTF-8")
	}
	m, err := decodeObject(line)
	if err != nil {
		return Request{}, fmt.Errorf("malformed request: %w", err)
	}
	id, err := decodeID(m)
	if err != nil {
		return Request{}, fmt.Errorf("malformed request: %w", err)
	}
	task, ok := m["task"]
	if !ok {
		return Request{ID: id}, errors.New("malformed request: no task")
	}
	return Request{ID: id, Task: task}, nil
}

// ParseReply decodes one reply line. It fails if the line is not a JSON object
// with an "id" that is a u64, or if "err_msg" is neither a string nor null. A
// missing err_msg or output is taken as null, as serde does for Option fields;
// unknown members are ignored. A null output is returned as nil.
func ParseReply(line []byte) (Reply, error) {
	m, err := decodeObject(line)
	if err != nil {
		return Reply{}, fmt.Errorf("malformed reply: %w", err)
	}
	id, err := decodeID(m)
	if err != nil {
		return Reply{}, fmt.Errorf("malformed reply: %w", err)
	}
	r := Reply{ID: id}
	if raw, ok := m["err_msg"]; ok {
		if err := json.Unmarshal(raw, &r.ErrMsg); err != nil {
			return Reply{}, fmt.Errorf("malformed reply: err_msg: %w", err)
		}
	}
	if raw := m["output"]; string(raw) != "null" {
		r.Output = raw
	}
	return r, nil
}

// appendRequest appends the request line for id and an encoded task, with its
// newline. task must be compact JSON, as json.Marshal writes it, so that it
// holds no newline.
func appendRequest(b []byte, id uint64, task []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `,"task":`...)
	b = append(b, task...)
	return append(b, "}\n"...)
}

// truncateForLog shortens a foreign line for a log record.
func truncateForLog(b []byte) string {
	const n = 200
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
