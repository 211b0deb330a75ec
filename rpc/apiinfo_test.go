package rpc_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/strata-sp/strata/rpc"
)

func TestParseAPIInfo(t *testing.T) {
	tests := []struct {
		in, token, url string
	}{
		{"eyJ.abc.def:/ip4/127.0.0.1/tcp/1234/http", "eyJ.abc.def", "http://127.0.0.1:1234/rpc/v1"},
		{"tok:/ip4/10.0.0.5/tcp/2345", "tok", "http://10.0.0.5:2345/rpc/v1"},
		{"tok:/ip4/127.0.0.1/tcp/1234/ws", "tok", "ws://127.0.0.1:1234/rpc/v1"},
		{"tok:/ip6/::1/tcp/1234/https", "tok", "https://[::1]:1234/rpc/v1"},
		{"tok:/dns/lotus.example/tcp/443/wss", "tok", "wss://lotus.example:443/rpc/v1"},
		{"/ip4/127.0.0.1/tcp/1234/http", "", "http://127.0.0.1:1234/rpc/v1"},
		{"tok:http://node:1234", "tok", "http://node:1234/rpc/v1"},
		{"tok:https://node:1234/rpc/v0", "tok", "https://node:1234/rpc/v0"},
		{"http://node:1234/rpc/v1", "", "http://node:1234/rpc/v1"},
	}
	for _, tc := range tests {
		info, err := rpc.ParseAPIInfo(tc.in)
		if err != nil {
			t.Errorf("ParseAPIInfo(%q): %v", tc.in, err)
			continue
		}
		u, _ := info.URL()
		if info.Token != tc.token || u != tc.url {
			t.Errorf("ParseAPIInfo(%q) = token %q url %q; want %q %q", tc.in, info.Token, u, tc.token, tc.url)
		}
		if back, err := rpc.ParseAPIInfo(info.String()); err != nil || back != info {
			t.Errorf("String round trip of %q: %v %v", tc.in, back, err)
		}
	}
	for _, bad := range []string{"", "justatoken", "tok:/ip4/999.1.1.1/tcp/1/http", "tok:/ip4/1.2.3.4/udp/1/http", "tok:/ip4/1.2.3.4/tcp/0/http",
		"tok:/ip4/1.2.3.4/tcp/70000/http", "tok:/ip4/1.2.3.4/tcp/1/quic", "tok:/unix/x", "tok:http://", "tok:/ip6/1.2.3.4/tcp/1/http"} {
		if _, err := rpc.ParseAPIInfo(bad); !errors.Is(err, rpc.ErrBadAPIInfo) {
			t.Errorf("ParseAPIInfo(%q) = %v, want ErrBadAPIInfo", bad, err)
		}
	}
}

func TestAPIInfo_WebSocketURL(t *testing.T) {
	for in, want := range map[string]string{
		"tok:/ip4/127.0.0.1/tcp/1234/http":   "ws://127.0.0.1:1234/rpc/v1",
		"tok:/ip4/127.0.0.1/tcp/1234":        "ws://127.0.0.1:1234/rpc/v1",
		"tok:/dns/hub.example/tcp/443/https": "wss://hub.example:443/rpc/v1",
		"tok:/ip4/127.0.0.1/tcp/1234/ws":     "ws://127.0.0.1:1234/rpc/v1",
		"tok:https://hub.example/rpc/v0":     "wss://hub.example/rpc/v0",
		"tok:wss://hub.example:8443":         "wss://hub.example:8443/rpc/v1",
	} {
		info, err := rpc.ParseAPIInfo(in)
		if err != nil {
			t.Fatalf("ParseAPIInfo(%q): %v", in, err)
		}
		if got, err := info.WebSocketURL(); err != nil || got != want {
			t.Errorf("WebSocketURL of %q = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestMultiaddr(t *testing.T) {
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1234}, "/ip4/127.0.0.1/tcp/1234/http"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 1}, "/ip4/127.0.0.1/tcp/1/http"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 2}, "/ip6/::1/tcp/2/http"},
	} {
		if got, err := rpc.Multiaddr(tc.addr); err != nil || got != tc.want {
			t.Errorf("Multiaddr(%v) = %q, %v; want %q", tc.addr, got, err, tc.want)
		}
	}
}

// TestAuthority_LotusFormat signs a token by hand exactly as Lotus's format
// says (HS256 over base64url(header).base64url({"Allow":[...]})) and checks
// that we accept it, and that ours decode to the same payload.
func TestAuthority_LotusFormat(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	a, err := rpc.NewAuthority(secret)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(`{"Allow":["read","write","sign"]}`))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	hand := signing + "." + enc.EncodeToString(mac.Sum(nil))
	c, err := a.Verify(context.Background(), hand)
	if err != nil || !c.Has(rpc.PermSign) || c.Has(rpc.PermAdmin) {
		t.Fatalf("hand-made Lotus token: %+v, %v", c, err)
	}
	ours, err := a.NewToken([]rpc.Perm{rpc.PermRead, rpc.PermWrite}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(ours, ".")
	payload, _ := enc.DecodeString(parts[1])
	if string(payload) != `{"Allow":["read","write"]}` {
		t.Errorf("our payload = %s", payload)
	}
	// Tampering, another secret, alg none: all refused as permission errors.
	other, _ := rpc.NewAuthority([]byte("another secret of thirty-two by"))
	if other != nil {
		t.Error("a 31-byte secret was accepted")
	}
	other, _ = rpc.NewAuthority([]byte("another secret of thirty-two byt"))
	none := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(`{"Allow":["admin"]}`)) + "."
	for name, tok := range map[string]string{
		"tampered payload": parts[0] + "." + enc.EncodeToString([]byte(`{"Allow":["admin"]}`)) + "." + parts[2],
		"alg none":         none,
		"garbage":          "not-a-jwt",
		"unknown perm":     signHS256(secret, `{"Allow":["root"]}`),
		"no allow":         signHS256(secret, `{"sub":"x"}`),
	} {
		if _, err := a.Verify(context.Background(), tok); !errors.Is(err, rpc.ErrPermission) {
			t.Errorf("%s: Verify = %v, want permission error", name, err)
		}
	}
	if _, err := other.Verify(context.Background(), ours); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("token of another secret accepted: %v", err)
	}
}

func signHS256(secret []byte, payload string) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(s))
	return s + "." + enc.EncodeToString(mac.Sum(nil))
}

func TestPermsUpTo(t *testing.T) {
	got, err := rpc.PermsUpTo(rpc.PermSign)
	if err != nil || len(got) != 3 || got[2] != rpc.PermSign {
		t.Errorf("PermsUpTo(sign) = %v, %v", got, err)
	}
	if _, err := rpc.PermsUpTo("root"); err == nil {
		t.Error("PermsUpTo(root) succeeded")
	}
}
