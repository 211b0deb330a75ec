package rpc

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an error that crosses a process boundary. Kinds are stable
// and append-only: a client may switch on them, so a kind is never renamed or
// reused for another meaning.
type Kind string

// The error kinds. Their string values travel on the wire (error.data.kind).
const (
	// KindInvalid: the request or its arguments are wrong; retrying the same
	// call cannot succeed.
	KindInvalid Kind = "invalid"
	// KindNotFound: the method or the object named does not exist.
	KindNotFound Kind = "not_found"
	// KindPermission: the token is missing, invalid, or lacks the permission.
	KindPermission Kind = "permission"
	// KindConflict: the call contradicts the current state (already done by
	// someone else, wrong owner, stale version).
	KindConflict Kind = "conflict"
	// KindTransient: the call may succeed if retried later (timeout, overload,
	// a dependency down).
	KindTransient Kind = "transient"
	// KindInternal: a bug or an unclassified failure on the server; the
	// details are in the server's log under the reference in the message.
	KindInternal Kind = "internal"
)

// JSON-RPC error codes. The first five are the JSON-RPC 2.0 protocol codes;
// the others carry application errors of each kind.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternal       = -32603

	CodeInvalid    = -32001
	CodeNotFound   = -32002
	CodePermission = -32003
	CodeConflict   = -32004
	CodeTransient  = -32005
)

// Sentinels for errors.Is: errors.Is(err, rpc.ErrNotFound) holds for any
// *Error of kind not_found, whatever its message.
var (
	ErrInvalid    = &Error{Kind: KindInvalid}
	ErrNotFound   = &Error{Kind: KindNotFound}
	ErrPermission = &Error{Kind: KindPermission}
	ErrConflict   = &Error{Kind: KindConflict}
	ErrTransient  = &Error{Kind: KindTransient}
	ErrInternal   = &Error{Kind: KindInternal}
)

// Error is an error with a kind, safe to show the caller. Handlers return it
// (usually through Errorf, possibly wrapped with %w) to tell the caller what
// went wrong; the client returns it for every error the server sent.
type Error struct {
	Kind    Kind
	Code    int    // JSON-RPC code; zero means the default code of Kind
	Message string // shown to the caller

	cause error // client side: the transport error behind a transient Error
}

// Errorf returns an *Error of the given kind with a formatted message. A %w
// verb keeps the wrapped error reachable with errors.Is/As on the server side;
// only the text crosses the wire.
func Errorf(kind Kind, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: err.Error(), cause: errors.Unwrap(err)}
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Kind)
	}
	return e.Message
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is matches the sentinels: a target *Error with no message matches every
// *Error of its kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// code returns the JSON-RPC code to send.
func (e *Error) code() int {
	if e.Code != 0 {
		return e.Code
	}
	return kindCode(e.Kind)
}

func kindCode(k Kind) int {
	switch k {
	case KindInvalid:
		return CodeInvalid
	case KindNotFound:
		return CodeNotFound
	case KindPermission:
		return CodePermission
	case KindConflict:
		return CodeConflict
	case KindTransient:
		return CodeTransient
	default:
		return CodeInternal
	}
}

// kindOfCode maps a code back to a kind for peers (such as Lotus) that send
// no error.data.kind.
func kindOfCode(code int) Kind {
	switch code {
	case CodeParseError, CodeInvalidRequest, CodeInvalidParams, CodeInvalid:
		return KindInvalid
	case CodeMethodNotFound, CodeNotFound:
		return KindNotFound
	case CodePermission:
		return KindPermission
	case CodeConflict:
		return KindConflict
	case CodeTransient:
		return KindTransient
	default:
		return KindInternal
	}
}

// protocolError builds an error with an explicit JSON-RPC protocol code.
func protocolError(code int, kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// classify turns a handler's error into what the caller sees. Errors that
// carry an *Error keep their kind and full text; a context error is
// transient; anything else is internal and its text stays in the server log,
// under the returned reference, which the caller is shown instead.
func classify(err error) (e *Error, ref string) {
	var re *Error
	switch {
	case errors.As(err, &re):
		return &Error{Kind: re.Kind, Code: re.Code, Message: err.Error()}, ""
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindTransient, Message: "request timed out"}, ""
	case errors.Is(err, context.Canceled):
		return &Error{Kind: KindTransient, Message: "request canceled"}, ""
	default:
		ref = newRef()
		return internalError(ref), ref
	}
}

func internalError(ref string) *Error {
	return &Error{Kind: KindInternal, Message: "internal error (ref " + ref + ")"}
}
