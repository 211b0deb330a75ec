package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// request is one decoded JSON-RPC 2.0 request.
type request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// isNotification: a request without an id gets no response (JSON-RPC 2.0 §4.1).
func (r *request) isNotification() bool { return len(r.ID) == 0 }

// response is one JSON-RPC 2.0 response.
type response struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *wireError      `json:"error,omitempty"`
}

// wireError is the error object; data.kind carries the Strata kind.
type wireError struct {
	Code    int            `json:"code"`
	Message string         `json:"message"`
	Data    *wireErrorData `json:"data,omitempty"`
}

type wireErrorData struct {
	Kind Kind `json:"kind"`
}

var nullID = json.RawMessage("null")

func errorResponse(id json.RawMessage, e *Error) response {
	if len(id) == 0 {
		id = nullID
	}
	return response{JSONRPC: "2.0", ID: id, Error: &wireError{Code: e.code(), Message: e.Message, Data: &wireErrorData{Kind: e.Kind}}}
}

// toError converts a received error object into an *Error.
func (w *wireError) toError() *Error {
	k := kindOfCode(w.Code)
	if w.Data != nil && w.Data.Kind != "" {
		k = w.Data.Kind
	}
	return &Error{Kind: k, Code: w.Code, Message: w.Message}
}

// item is one element of a decoded body: a request, or the error that the
// element deserves (with the id, when one could be read).
type item struct {
	req *request
	err *Error
	id  json.RawMessage
}

// decodeBody parses a request body: a single request object or a batch
// (a JSON array of request objects, at most maxBatch long). A returned error
// concerns the whole body and must be answered with a single error response
// with a null id; otherwise each item is answered on its own.
func decodeBody(body []byte, maxBatch int) (items []item, batch bool, err *Error) {
	// Only JSON's own whitespace: a body led by \v or a Unicode space is not JSON.
	body = bytes.Trim(body, " \t\r\n")
	if len(body) == 0 {
		return nil, false, protocolError(CodeInvalidRequest, KindInvalid, "empty request body")
	}
	if body[0] != '[' {
		return []item{decodeOne(body)}, false, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, true, protocolError(CodeParseError, KindInvalid, "parse error: %v", err)
	}
	if len(raw) == 0 {
		return nil, true, protocolError(CodeInvalidRequest, KindInvalid, "empty batch")
	}
	if len(raw) > maxBatch {
		return nil, true, protocolError(CodeInvalidRequest, KindInvalid, "batch of %d requests exceeds the limit of %d", len(raw), maxBatch)
	}
	items = make([]item, len(raw))
	for i, r := range raw {
		items[i] = decodeOne(r)
	}
	return items, true, nil
}

// decodeOne parses and validates a single request object.
func decodeOne(b []byte) item {
	var r request
	if err := json.Unmarshal(b, &r); err != nil {
		if !json.Valid(b) {
			return item{err: protocolError(CodeParseError, KindInvalid, "parse error: %v", err)}
		}
		// Valid JSON of the wrong shape: try to keep the id for the answer.
		var withID struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(b, &withID)
		id := withID.ID
		if validID(id) != nil {
			id = nil
		}
		return item{err: protocolError(CodeInvalidRequest, KindInvalid, "invalid request: %v", err), id: id}
	}
	if err := validID(r.ID); err != nil {
		return item{err: protocolError(CodeInvalidRequest, KindInvalid, "invalid request: %v", err)}
	}
	bad := func(format string, args ...any) item {
		return item{err: protocolError(CodeInvalidRequest, KindInvalid, "invalid request: "+format, args...), id: r.ID}
	}
	switch {
	case r.JSONRPC != "2.0":
		return bad(`"jsonrpc" must be "2.0", got %q`, r.JSONRPC)
	case r.Method == "":
		return bad(`"method" is missing`)
	}
	if p := bytes.TrimSpace(r.Params); len(p) > 0 && p[0] != '[' && !bytes.Equal(p, []byte("null")) {
		return item{err: protocolError(CodeInvalidParams, KindInvalid, "params must be a JSON array (positional), got %s", kindOfJSON(p)), id: r.ID}
	}
	return item{req: &r, id: r.ID}
}

// validID accepts what JSON-RPC 2.0 allows as an id: absent, null, a string
// or a number.
func validID(id json.RawMessage) error {
	id = bytes.TrimSpace(id)
	if len(id) == 0 {
		return nil
	}
	switch c := id[0]; {
	case c == '"', c == '-', c >= '0' && c <= '9', bytes.Equal(id, nullID):
		return nil
	default:
		return fmt.Errorf(`"id" must be a string, a number or null, got %s`, kindOfJSON(id))
	}
}

func kindOfJSON(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
