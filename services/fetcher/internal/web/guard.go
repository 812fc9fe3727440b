package web

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
)

// blockedRange is an address range the guard refuses unless allow-listed.
type blockedRange struct {
	prefix netip.Prefix
	what   string
}

// blockedRanges lists what the SSRF guard refuses, most specific first so the
// reason names the metadata endpoints rather than their enclosing range.
var blockedRanges = func() []blockedRange {
	table := []struct{ cidr, what string }{
		{"169.254.169.254/32", "a cloud metadata address"},
		{"fd00:ec2::254/128", "a cloud metadata address"},
		{"0.0.0.0/8", "an unspecified (this-network) address"},
		{"10.0.0.0/8", "a private address"},
		{"100.64.0.0/10", "a carrier-grade NAT address"},
		{"127.0.0.0/8", "a loopback address"},
		{"169.254.0.0/16", "a link-local address"},
		{"172.16.0.0/12", "a private address"},
		{"192.0.0.0/24", "an IETF protocol assignment address"},
		{"192.0.2.0/24", "a documentation address"},
		{"192.168.0.0/16", "a private address"},
		{"198.18.0.0/15", "a benchmarking address"},
		{"198.51.100.0/24", "a documentation address"},
		{"203.0.113.0/24", "a documentation address"},
		{"224.0.0.0/4", "a multicast address"},
		{"240.0.0.0/4", "a reserved or broadcast address"},
		{"::/128", "an unspecified address"},
		{"::1/128", "a loopback address"},
		{"::/96", "an IPv4-compatible address"},
		{"64:ff9b:1::/48", "a local-use NAT64 address"},
		{"100::/64", "a discard-only address"},
		{"2001::/32", "a Teredo address"},
		{"2001:db8::/32", "a documentation address"},
		{"fc00::/7", "a unique local (private) address"},
		{"fe80::/10", "a link-local address"},
		{"fec0::/10", "a site-local address"},
		{"ff00::/8", "a multicast address"},
	}
	out := make([]blockedRange, len(table))
	for i, e := range table {
		out[i] = blockedRange{netip.MustParsePrefix(e.cidr), e.what}
	}
	return out
}()

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// blockedReason says why a is refused by default, or "" when it is a public
// address. IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4) are judged
// by the IPv4 address they carry.
func blockedReason(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64Prefix.Contains(a):
			if why := blockedReason(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
				return why + " (via NAT64)"
			}
			return ""
		case sixToFour.Contains(a):
			if why := blockedReason(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
				return why + " (via 6to4)"
			}
		}
	}
	for _, r := range blockedRanges {
		if r.prefix.Contains(a) {
			return r.what
		}
	}
	// Belt and braces: whatever the table misses, the standard library knows.
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case a.IsUnspecified():
		return "an unspecified address"
	}
	return ""
}

// guard is the SSRF guard: it decides, after name resolution and before
// connect(2), whether the client may connect to an address.
type guard struct {
	hosts    map[string]bool // allow-listed host names, lowercased
	prefixes []netip.Prefix  // allow-listed addresses and ranges
}

// newGuard builds a guard from allow-list entries: host names
// ("feeds.internal"), IP addresses ("127.0.0.1", "::1") or CIDR ranges
// ("10.1.0.0/16").
func newGuard(allow []string) (*guard, error) {
	g := &guard{hosts: map[string]bool{}}
	for _, raw := range allow {
		s := strings.TrimSpace(raw)
		switch {
		case s == "":
			continue
		case strings.Contains(s, "/"):
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("AllowHosts: %q is not a CIDR range: %w", raw, err)
			}
			g.prefixes = append(g.prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
				g.prefixes = append(g.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			h := strings.TrimSuffix(strings.ToLower(s), ".")
			if strings.ContainsAny(h, " :@?#") {
				return nil, fmt.Errorf("AllowHosts: %q is neither a host name, an IP address nor a CIDR range", raw)
			}
			g.hosts[h] = true
		}
	}
	return g, nil
}

// allowHostKey marks a dial to an allow-listed host name in its context.
type allowHostKey struct{}

// check returns nil when a connection to a may proceed, and an error
// wrapping ErrRefused when it must not.
func (g *guard) check(a netip.Addr) error {
	a = a.WithZone("").Unmap()
	for _, p := range g.prefixes {
		if p.Contains(a) {
			return nil
		}
	}
	if why := blockedReason(a); why != "" {
		return fmt.Errorf("%w: %s is %s (allow-list it to fetch from it)", ErrRefused, a, why)
	}
	return nil
}

// control is the net.Dialer ControlContext hook: it runs for each resolved
// address after the socket is created and before it connects.
func (g *guard) control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	if allowed, _ := ctx.Value(allowHostKey{}).(bool); allowed {
		return nil
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q", ErrRefused, network)
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: address %q: %w", ErrRefused, address, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: address %q is not an IP address", ErrRefused, address)
	}
	return g.check(a)
}

// dialer wraps d so that dials to allow-listed host names skip the address
// check and every other dial is checked by control.
func (g *guard) dialer(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d.ControlContext = g.control
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err == nil && g.hosts[strings.TrimSuffix(strings.ToLower(host), ".")] {
			ctx = context.WithValue(ctx, allowHostKey{}, true)
		}
		return d.DialContext(ctx, network, addr)
	}
}
