package rpc

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Environment variables holding API info strings, one per service, in the
// Lotus format so operators keep their habits.
const (
	EnvFullNode = "FULLNODE_API_INFO"
	EnvHub      = "HUB_API_INFO"
	EnvWallet   = "WALLET_API_INFO"
	EnvMarket   = "MARKET_API_INFO"
	EnvRaaS     = "RAAS_API_INFO"
)

// APIInfo says where a service listens and which token to present:
// "TOKEN:/ip4/127.0.0.1/tcp/1234/http". The token part is optional, and the
// address may also be a URL ("http://host:port").
type APIInfo struct {
	Token string
	Addr  string // a multiaddr such as /ip4/127.0.0.1/tcp/1234/http, or a URL
}

// ErrBadAPIInfo is wrapped by every API info parsing error.
var ErrBadAPIInfo = errors.New("bad API info")

// ParseAPIInfo parses "TOKEN:ADDR" or "ADDR".
func ParseAPIInfo(s string) (APIInfo, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return APIInfo{}, fmt.Errorf("%w: empty", ErrBadAPIInfo)
	}
	var info APIInfo
	if strings.HasPrefix(s, "/") || isURL(s) {
		info.Addr = s
	} else {
		tok, addr, ok := strings.Cut(s, ":")
		if !ok {
			return APIInfo{}, fmt.Errorf("%w: %q has no address (want TOKEN:/ip4/HOST/tcp/PORT/http)", ErrBadAPIInfo, s)
		}
		info.Token, info.Addr = tok, addr
	}
	if _, err := info.URL(); err != nil {
		return APIInfo{}, err
	}
	return info, nil
}

// String formats the info as "TOKEN:ADDR" (or "ADDR" without a token).
func (i APIInfo) String() string {
	if i.Token == "" {
		return i.Addr
	}
	return i.Token + ":" + i.Addr
}

func isURL(s string) bool {
	for _, p := range []string{"http://", "https://", "ws://", "wss://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// URL returns the endpoint URL: the scheme from the address (http when the
// multiaddr names none), and the path Path when the address has none.
func (i APIInfo) URL() (string, error) {
	if isURL(i.Addr) {
		u, err := url.Parse(i.Addr)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%w: address %q is not a valid URL", ErrBadAPIInfo, i.Addr)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = Path
		}
		return u.String(), nil
	}
	host, port, scheme, err := parseMultiaddr(i.Addr)
	if err != nil {
		return "", err
	}
	return scheme + "://" + net.JoinHostPort(host, port) + Path, nil
}

// WebSocketURL is URL with the scheme turned into its WebSocket one
// (http to ws, https to wss): the endpoint for a client that keeps one
// connection and multiplexes its calls on it, as Lotus's clients do for a
// multiaddr.
func (i APIInfo) WebSocketURL() (string, error) {
	u, err := i.URL()
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(u, "http://"):
		return "ws://" + strings.TrimPrefix(u, "http://"), nil
	case strings.HasPrefix(u, "https://"):
		return "wss://" + strings.TrimPrefix(u, "https://"), nil
	}
	return u, nil
}

// parseMultiaddr reads the subset of multiaddrs that name an HTTP endpoint:
// /ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT[/http|/https|/ws|/wss].
func parseMultiaddr(ma string) (host, port, scheme string, err error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: address %q: %s (want /ip4/HOST/tcp/PORT/http)", ErrBadAPIInfo, ma, why)
	}
	parts := strings.Split(strings.TrimPrefix(ma, "/"), "/")
	if len(parts) < 4 || len(parts) > 5 {
		return "", "", "", bad("wrong number of components")
	}
	switch parts[0] {
	case "ip4":
		if ip := net.ParseIP(parts[1]); ip == nil || ip.To4() == nil {
			return "", "", "", bad("invalid IPv4 address")
		}
	case "ip6":
		if ip := net.ParseIP(parts[1]); ip == nil || ip.To4() != nil {
			return "", "", "", bad("invalid IPv6 address")
		}
	case "dns", "dns4", "dns6":
		if parts[1] == "" {
			return "", "", "", bad("empty host name")
		}
	default:
		return "", "", "", bad("unsupported protocol " + strconv.Quote(parts[0]))
	}
	if parts[2] != "tcp" {
		return "", "", "", bad("expected tcp")
	}
	if n, err := strconv.ParseUint(parts[3], 10, 16); err != nil || n == 0 {
		return "", "", "", bad("invalid port")
	}
	scheme = "http"
	if len(parts) == 5 {
		switch parts[4] {
		case "http", "https", "ws", "wss":
			scheme = parts[4]
		default:
			return "", "", "", bad("unsupported transport " + strconv.Quote(parts[4]))
		}
	}
	return parts[1], parts[3], scheme, nil
}

// Multiaddr formats a TCP listener address as /ip4/HOST/tcp/PORT/http
// (or /ip6/...), the form written to a process's api file.
func Multiaddr(addr net.Addr) (string, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "", fmt.Errorf("listener address %v is not TCP", addr)
	}
	proto := "ip4"
	if tcp.IP.To4() == nil {
		proto = "ip6"
	}
	ip := tcp.IP
	if ip.IsUnspecified() {
		// A wildcard listener is reached locally through loopback.
		ip = net.IPv4(127, 0, 0, 1)
		if proto == "ip6" {
			ip = net.IPv6loopback
		}
	}
	return fmt.Sprintf("/%s/%s/tcp/%d/http", proto, ip, tcp.Port), nil
}

// APIInfoFromEnv reads and parses the API info in the environment variable
// name. It reports false when the variable is unset or empty.
func APIInfoFromEnv(name string) (APIInfo, bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return APIInfo{}, false, nil
	}
	info, err := ParseAPIInfo(v)
	if err != nil {
		return APIInfo{}, true, fmt.Errorf("%s: %w", name, err)
	}
	return info, true, nil
}
