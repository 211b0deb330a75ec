package rpc

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeBody feeds arbitrary bytes to the request decoder: it must never
// panic, and whatever it accepts must be a well-formed request.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"A.B","params":[1,"x",{"/":"bafy"}]}`,
		`[{"jsonrpc":"2.0","id":"a","method":"A.B"},{"jsonrpc":"2.0","method":"A.C"}]`,
		`{"jsonrpc":"2.0","id":null,"method":"A.B","params":null}`,
		`{"jsonrpc":"2.0","id":{},"method":"A.B"}`,
		`[]`, `[1,2]`, `{`, ``, `"x"`, `{"jsonrpc":"2.0","id":1,"method":"A.B","params":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, batch, err := decodeBody(body, 10)
		if err != nil {
			if err.Code == 0 || err.Message == "" {
				t.Fatalf("whole-body error without code or message: %+v", err)
			}
			return
		}
		if !batch && len(items) != 1 {
			t.Fatalf("single request decoded to %d items", len(items))
		}
		if len(items) > 10 {
			t.Fatalf("batch of %d passed the limit of 10", len(items))
		}
		for _, it := range items {
			if (it.req == nil) == (it.err == nil) {
				t.Fatalf("item must hold a request or an error: %+v", it)
			}
			if it.err != nil {
				if validID(it.id) != nil {
					t.Fatalf("error item keeps an invalid id %q", it.id)
				}
				if _, err := json.Marshal(errorResponse(it.id, it.err)); err != nil {
					t.Fatalf("error response does not encode: %v", err)
				}
				continue
			}
			if it.req.JSONRPC != "2.0" || it.req.Method == "" || validID(it.req.ID) != nil {
				t.Fatalf("accepted an invalid request: %+v", it.req)
			}
		}
	})
}
