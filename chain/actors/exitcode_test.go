package actors_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
)

// TestExitCode_String checks the codes and names of research/actor-params.md
// §7 against go-state-types' formatting: "Name(code)" for system and common
// codes, the bare number for actor-specific ones.
func TestExitCode_String(t *testing.T) {
	tests := []struct {
		code actors.ExitCode
		num  int64
		want string
	}{
		{actors.ExitOk, 0, "Ok(0)"},
		{actors.ExitSysSenderInvalid, 1, "SysErrSenderInvalid(1)"},
		{actors.ExitSysSenderStateInvalid, 2, "SysErrSenderStateInvalid(2)"},
		{actors.ExitSysReserved1, 3, "SysErrReserved1(3)"},
		{actors.ExitSysIllegalInstruction, 4, "SysErrIllegalInstruction(4)"},
		{actors.ExitSysInvalidReceiver, 5, "SysErrInvalidReceiver(5)"},
		{actors.ExitSysInsufficientFunds, 6, "SysErrInsufficientFunds(6)"},
		{actors.ExitSysOutOfGas, 7, "SysErrOutOfGas(7)"},
		{actors.ExitSysReserved2, 8, "SysErrReserved2(8)"},
		{actors.ExitSysIllegalExitCode, 9, "SysErrIllegalExitCode(9)"},
		{actors.ExitSysFatal, 10, "SysFatal(10)"},
		{actors.ExitSysMissingReturn, 11, "SysErrMissingReturn(11)"},
		{actors.ExitSysReserved3, 12, "SysErrReserved3(12)"},
		{actors.ExitSysReserved6, 15, "SysErrReserved6(15)"},
		{actors.ExitIllegalArgument, 16, "ErrIllegalArgument(16)"},
		{actors.ExitNotFound, 17, "ErrNotFound(17)"},
		{actors.ExitForbidden, 18, "ErrForbidden(18)"},
		{actors.ExitInsufficientFunds, 19, "ErrInsufficientFunds(19)"},
		{actors.ExitIllegalState, 20, "ErrIllegalState(20)"},
		{actors.ExitSerialization, 21, "ErrSerialization(21)"},
		{actors.ExitUnhandledMessage, 22, "ErrUnhandledMessage(22)"},
		{actors.ExitUnspecified, 23, "ErrUnspecified(23)"},
		{actors.ExitAssertionFailed, 24, "ErrAssertionFailed(24)"},
		{actors.ExitReadOnly, 25, "ErrReadOnly(25)"},
		{actors.ExitNotPayable, 26, "ErrNotPayable(26)"},
		{actors.ExitDealExpired, 32, "32"},
		{actors.ExitTooManyProveCommits, 32, "32"},
		{actors.ExitDealNotActivated, 33, "33"},
		{actors.ExitBalanceInvariantsBroken, 1000, "1000"},
		{actors.ExitNotificationSendFailed, 1001, "1001"},
		{actors.ExitNotificationReceiverAborted, 1002, "1002"},
		{actors.ExitNotificationResponseInvalid, 1003, "1003"},
		{actors.ExitNotificationRejected, 1004, "1004"},
	}
	for _, tc := range tests {
		if int64(tc.code) != tc.num || tc.code.String() != tc.want {
			t.Errorf("code %d: String %q, want %d %q", int64(tc.code), tc.code.String(), tc.num, tc.want)
		}
	}
	if !actors.ExitOk.IsSuccess() || actors.ExitIllegalArgument.IsSuccess() {
		t.Error("IsSuccess")
	}
	if !actors.ExitSysOutOfGas.IsSystem() || actors.ExitOk.IsSystem() || actors.ExitIllegalArgument.IsSystem() {
		t.Error("IsSystem")
	}
	if actors.ExitForbidden.Name() != "ErrForbidden" || actors.ExitDealExpired.Name() != "" {
		t.Error("Name")
	}
}

// TestError_CodeAndCause checks the actor abort error: its text, its code and what it
// wraps.
func TestError_CodeAndCause(t *testing.T) {
	err := actors.Errorf(actors.ExitForbidden, "caller %s is not the owner", "f0101")
	if err.Error() != "ErrForbidden(18): caller f0101 is not the owner" || err.Code != actors.ExitForbidden {
		t.Fatalf("got %q", err)
	}
	wrapped := fmt.Errorf("apply: %w", actors.Errorf(actors.ExitSerialization, "decode: %w", io.ErrUnexpectedEOF))
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Fatal("cause lost")
	}
	if c := actors.CodeOf(wrapped, actors.ExitSysFatal); c != actors.ExitSerialization {
		t.Fatalf("CodeOf = %v", c)
	}
	two := actors.Errorf(actors.ExitIllegalArgument, "%w and %w", io.EOF, actors.ErrTooLarge)
	if !errors.Is(two, io.EOF) || !errors.Is(two, actors.ErrTooLarge) {
		t.Fatal("multiple causes lost")
	}
	if c := actors.CodeOf(nil, actors.ExitSysFatal); c != actors.ExitOk {
		t.Fatalf("CodeOf(nil) = %v", c)
	}
	if c := actors.CodeOf(io.EOF, actors.ExitIllegalState); c != actors.ExitIllegalState {
		t.Fatalf("CodeOf(other) = %v", c)
	}
}
