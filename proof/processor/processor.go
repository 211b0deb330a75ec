// Package processor implements the external-processor protocol by which a
// worker runs a sealing stage (add_pieces, tree_d, pc1, pc2, c2, transfer, ...)
// in a separate executable. It is wire-compatible with the vc-processors
// protocol of damocles (damocles-worker/vc-processors/src/core/ext), so an
// existing vc-processors executable can serve a Strata worker and a Strata
// processor can serve a damocles worker.
//
// The protocol, as seen by the processor (the child process):
//
//  1. Print the line "<stage> processor ready" on stdout (see ReadyLine).
//  2. Read requests from stdin, one JSON object per line:
//     {"id": <u64>, "task": <stage-specific JSON>}.
//  3. Write one reply per request on stdout, one JSON object per line:
//     {"id": <u64>, "err_msg": null | "<message>", "output": <JSON> | null}.
//     Requests may be handled concurrently, so replies may come in any order;
//     the id matches a reply to its request.
//  4. Log only to stderr: stdout carries replies and nothing else.
//  5. Exit when stdin reaches end of file.
//
// Serve implements the processor side; Start and Client the worker side. Nothing
// in the protocol is specific to Go: a shell script that reads lines with
// `while read` and answers with printf is a valid processor.
package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

var (
	// ErrProcessorExited reports that the processor process exited (or was
	// killed) while a request was in flight, or before printing its ready line.
	// The error returned is an *ExitError with the exit status and the tail of
	// the process's stderr. The request may or may not have run.
	ErrProcessorExited = errors.New("processor exited")
	// ErrNotReady reports that no running processor could serve the request:
	// the executable could not be started, did not print its ready line in
	// time, or kept crashing until the client gave up restarting it.
	ErrNotReady = errors.New("processor not ready")
	// ErrClosed reports a call on a Client that is closed or closing.
	ErrClosed = errors.New("processor client closed")
	// ErrRemote reports a reply whose err_msg is not null: the processor ran
	// (or refused) the task and failed. The message is wrapped with it.
	ErrRemote = errors.New("processor error")
)

// ReadyLine returns the line, without its newline, that a processor of stage
// prints on stdout once it accepts requests: "<stage> processor ready".
func ReadyLine(stage string) string { return stage + " processor ready" }

// Request is one line on a processor's stdin. The id is chosen by the worker,
// unique among its requests in flight, and copied into the reply.
type Request struct {
	ID   uint64          `json:"id"`
	Task json.RawMessage `json:"task"`
}

// Reply is one line on a processor's stdout. ErrMsg is nil on success; when it
// is set, Output is null. Both fields are always written, as null when unset,
// because that is what vc-processors (serde Option) writes and expects.
type Reply struct {
	ID     uint64          `json:"id"`
	ErrMsg *string         `json:"err_msg"`
	Output json.RawMessage `json:"output"`
}

// ExitError describes a processor process that exited. It matches
// ErrProcessorExited with errors.Is, and the error from (*exec.Cmd).Wait
// (usually an *exec.ExitError) with errors.As.
type ExitError struct {
	Stage string
	PID   int
	// Err is the error from (*exec.Cmd).Wait; nil if the process exited with
	// status 0.
	Err error
	// StderrTail is the end of what the process wrote on stderr, which usually
	// holds the reason it died.
	StderrTail string
}

// Error implements error.
func (e *ExitError) Error() string {
	status := "exit status 0"
	if e.Err != nil {
		status = e.Err.Error()
	}
	return fmt.Sprintf("%s %s (pid %d): %s; stderr tail: %q", e.Stage, ErrProcessorExited, e.PID, status, e.StderrTail)
}

// Unwrap returns ErrProcessorExited and the wait error.
func (e *ExitError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrProcessorExited}
	}
	return []error{ErrProcessorExited, e.Err}
}

// Handler runs one task of a stage inside a processor (see Serve).
//
// Handle is called from many goroutines at once, up to
// ServeOptions.MaxConcurrent, and must be safe for concurrent use. task is the
// raw JSON of the request's "task" field, never empty. ctx is cancelled when
// Serve's context is, or when Serve stops because stdout failed.
//
// The output is encoded with encoding/json into the reply's "output" field; a
// nil output is sent as null. A non-nil error is sent as the reply's err_msg,
// using its Error text, with a null output. A panic is recovered and sent as an
// err_msg; the processor goes on serving other requests.
type Handler interface {
	Handle(ctx context.Context, task json.RawMessage) (output any, err error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, task json.RawMessage) (any, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, task json.RawMessage) (any, error) {
	return f(ctx, task)
}

var _ Handler = HandlerFunc(nil)

// Typed adapts a function over concrete task and output types to a Handler: the
// task is decoded into a T (a decoding failure is sent as an err_msg without
// calling f) and the O returned is encoded as the output.
func Typed[T, O any](f func(ctx context.Context, task T) (O, error)) Handler {
	return HandlerFunc(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var task T
		if err := json.Unmarshal(raw, &task); err != nil {
			return nil, fmt.Errorf("decode task: %w", err)
		}
		return f(ctx, task)
	})
}
