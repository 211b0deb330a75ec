package actors

import (
	"errors"
	"fmt"
	"strconv"
)

// ExitCode is the exit code of a message or of one actor invocation
// (go-state-types exitcode.ExitCode; fvm_shared ExitCode): 0 is success,
// 1–15 are the VM's system errors, 16–31 the errors common to all actors,
// and 32 and up are actor-specific, so their meaning depends on the actor
// (research/actor-params.md §7). On the wire (receipts, BatchReturn) it is
// an unsigned integer.
type ExitCode int64

// System exit codes, set by the VM, never by an actor. String gives the
// network's names, in parentheses here where the constant's name differs.
const (
	ExitOk ExitCode = 0 // Ok
	// ExitSysSenderInvalid: the sender does not exist or cannot send
	// (SysErrSenderInvalid).
	ExitSysSenderInvalid ExitCode = 1
	// ExitSysSenderStateInvalid: wrong nonce, or the sender cannot cover the
	// gas (SysErrSenderStateInvalid).
	ExitSysSenderStateInvalid ExitCode = 2
	// ExitSysReserved1 was SysErrInvalidMethod (SysErrReserved1).
	ExitSysReserved1 ExitCode = 3
	// ExitSysIllegalInstruction: the receiver trapped
	// (SysErrIllegalInstruction).
	ExitSysIllegalInstruction ExitCode = 4
	// ExitSysInvalidReceiver: the receiver does not exist and cannot be
	// created (SysErrInvalidReceiver).
	ExitSysInvalidReceiver ExitCode = 5
	// ExitSysInsufficientFunds: a value transfer exceeds the balance
	// (SysErrInsufficientFunds).
	ExitSysInsufficientFunds ExitCode = 6
	// ExitSysOutOfGas: the gas limit was exhausted (SysErrOutOfGas).
	ExitSysOutOfGas ExitCode = 7
	// ExitSysReserved2 was SysErrForbidden (SysErrReserved2).
	ExitSysReserved2 ExitCode = 8
	// ExitSysIllegalExitCode: an actor exited with a system code
	// (SysErrIllegalExitCode).
	ExitSysIllegalExitCode ExitCode = 9
	// ExitSysFatal: a bug in the VM (SysErrFatal, printed "SysFatal";
	// FVM SYS_ASSERTION_FAILED).
	ExitSysFatal ExitCode = 10
	// ExitSysMissingReturn: the actor returned a block that does not exist
	// (SysErrMissingReturn).
	ExitSysMissingReturn ExitCode = 11
	ExitSysReserved3     ExitCode = 12 // SysErrReserved3
	ExitSysReserved4     ExitCode = 13 // SysErrReserved4
	ExitSysReserved5     ExitCode = 14 // SysErrReserved5
	ExitSysReserved6     ExitCode = 15 // SysErrReserved6
)

// Exit codes common to all actors (FVM USR_*).
const (
	// FirstActorExitCode is the lowest exit code an actor may use.
	FirstActorExitCode ExitCode = 16
	// ExitIllegalArgument: bad parameters, the bulk of actor checks
	// (ErrIllegalArgument).
	ExitIllegalArgument ExitCode = 16
	// ExitNotFound: an unresolvable address, a missing pre-commit or deal
	// (ErrNotFound).
	ExitNotFound ExitCode = 17
	// ExitForbidden: the wrong caller, a consensus fault, proving too early
	// (ErrForbidden).
	ExitForbidden ExitCode = 18
	// ExitInsufficientFunds: deposit, pledge or escrow shortfall
	// (ErrInsufficientFunds).
	ExitInsufficientFunds ExitCode = 19
	// ExitIllegalState: a broken internal invariant (ErrIllegalState).
	ExitIllegalState ExitCode = 20
	// ExitSerialization: parameters that do not decode (ErrSerialization).
	ExitSerialization ExitCode = 21
	// ExitUnhandledMessage: an unknown or removed method number
	// (ErrUnhandledMessage; the actors say "invalid method: N").
	ExitUnhandledMessage ExitCode = 22
	ExitUnspecified      ExitCode = 23 // ErrUnspecified
	ExitAssertionFailed  ExitCode = 24 // ErrAssertionFailed
	ExitReadOnly         ExitCode = 25 // ErrReadOnly
	// ExitNotPayable: value sent to a method that takes none
	// (ErrNotPayable).
	ExitNotPayable ExitCode = 26
	// FirstActorSpecificExitCode is where each actor's own codes start.
	FirstActorSpecificExitCode ExitCode = 32
)

// Actor-specific exit codes. The network prints them as bare numbers, since
// the same number means different things in different actors.
const (
	// ExitDealExpired: the market was asked to activate a deal whose start
	// epoch has passed (EX_DEAL_EXPIRED).
	ExitDealExpired ExitCode = 32
	// ExitDealNotActivated: the market's EX_DEAL_NOT_ACTIVATED.
	ExitDealNotActivated ExitCode = 33
	// ExitTooManyProveCommits: the power actor's ERR_TOO_MANY_PROVE_COMMITS.
	ExitTooManyProveCommits ExitCode = 32
	// ExitBalanceInvariantsBroken: the miner's
	// ERR_BALANCE_INVARIANTS_BROKEN.
	ExitBalanceInvariantsBroken ExitCode = 1000
	// ExitNotificationSendFailed: the miner could not send a data
	// activation notification (ERR_NOTIFICATION_SEND_FAILED).
	ExitNotificationSendFailed ExitCode = 1001
	// ExitNotificationReceiverAborted: the notified actor aborted
	// (ERR_NOTIFICATION_RECEIVER_ABORTED).
	ExitNotificationReceiverAborted ExitCode = 1002
	// ExitNotificationResponseInvalid: the notified actor's return did not
	// decode (ERR_NOTIFICATION_RESPONSE_INVALID).
	ExitNotificationResponseInvalid ExitCode = 1003
	// ExitNotificationRejected: the notified actor returned accepted=false
	// for a piece (ERR_NOTIFICATION_REJECTED).
	ExitNotificationRejected ExitCode = 1004
)

// exitCodeNames are the names go-state-types gives the system and common
// codes (exitcode/names.go), which Lotus prints.
var exitCodeNames = map[ExitCode]string{
	ExitOk:                    "Ok",
	ExitSysSenderInvalid:      "SysErrSenderInvalid",
	ExitSysSenderStateInvalid: "SysErrSenderStateInvalid",
	ExitSysReserved1:          "SysErrReserved1",
	ExitSysIllegalInstruction: "SysErrIllegalInstruction",
	ExitSysInvalidReceiver:    "SysErrInvalidReceiver",
	ExitSysInsufficientFunds:  "SysErrInsufficientFunds",
	ExitSysOutOfGas:           "SysErrOutOfGas",
	ExitSysReserved2:          "SysErrReserved2",
	ExitSysIllegalExitCode:    "SysErrIllegalExitCode",
	ExitSysFatal:              "SysFatal",
	ExitSysMissingReturn:      "SysErrMissingReturn",
	ExitSysReserved3:          "SysErrReserved3",
	ExitSysReserved4:          "SysErrReserved4",
	ExitSysReserved5:          "SysErrReserved5",
	ExitSysReserved6:          "SysErrReserved6",
	ExitIllegalArgument:       "ErrIllegalArgument",
	ExitNotFound:              "ErrNotFound",
	ExitForbidden:             "ErrForbidden",
	ExitInsufficientFunds:     "ErrInsufficientFunds",
	ExitIllegalState:          "ErrIllegalState",
	ExitSerialization:         "ErrSerialization",
	ExitUnhandledMessage:      "ErrUnhandledMessage",
	ExitUnspecified:           "ErrUnspecified",
	ExitAssertionFailed:       "ErrAssertionFailed",
	ExitReadOnly:              "ErrReadOnly",
	ExitNotPayable:            "ErrNotPayable",
}

// Name returns the network's name of c ("ErrIllegalArgument"), or "" for an
// actor-specific or unknown code.
func (c ExitCode) Name() string { return exitCodeNames[c] }

// String formats c as go-state-types does: "ErrIllegalArgument(16)" for a
// named code, the bare number otherwise.
func (c ExitCode) String() string {
	if name, ok := exitCodeNames[c]; ok {
		return name + "(" + strconv.FormatInt(int64(c), 10) + ")"
	}
	return strconv.FormatInt(int64(c), 10)
}

// IsSuccess reports whether c is ExitOk.
func (c ExitCode) IsSuccess() bool { return c == ExitOk }

// IsSystem reports whether c is a system code (1–15), which only the VM sets.
func (c ExitCode) IsSystem() bool { return c > ExitOk && c < FirstActorExitCode }

// Error is an actor abort: the exit code the message or invocation ends with
// and a message for people (the network's receipts carry only the code). The
// code, not the text, is what callers branch on.
type Error struct {
	Code    ExitCode
	Message string
	cause   error
}

// Errorf returns an Error with code and a message formatted as fmt.Errorf
// does; errors wrapped with %w stay reachable through errors.Is and As.
func Errorf(code ExitCode, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), cause: err}
}

// Error returns "ErrForbidden(18): message".
func (e *Error) Error() string {
	return e.Code.String() + ": " + e.Message
}

// Unwrap returns the errors wrapped by the message with %w, if any.
func (e *Error) Unwrap() []error {
	switch u := e.cause.(type) {
	case interface{ Unwrap() error }:
		if w := u.Unwrap(); w != nil {
			return []error{w}
		}
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	}
	return nil
}

// CodeOf returns the exit code of err: ExitOk for nil, the code of the first
// *Error in its chain, else fallback (a devnet would pass ExitSysFatal or
// ExitIllegalState for a failure that is not an actor abort).
func CodeOf(err error, fallback ExitCode) ExitCode {
	if err == nil {
		return ExitOk
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return fallback
}
