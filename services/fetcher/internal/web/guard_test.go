package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		addr    string
		blocked bool
		want    string // substring of the reason
	}{
		{"127.0.0.1", true, "loopback"},
		{"127.8.9.10", true, "loopback"},
		{"10.1.2.3", true, "private"},
		{"172.16.0.1", true, "private"},
		{"172.31.255.255", true, "private"},
		{"192.168.1.1", true, "private"},
		{"100.64.0.1", true, "carrier-grade NAT"},
		{"100.127.255.254", true, "carrier-grade NAT"},
		{"169.254.169.254", true, "metadata"},
		{"169.254.1.1", true, "link-local"},
		{"0.0.0.0", true, "unspecified"},
		{"224.0.0.1", true, "multicast"},
		{"255.255.255.255", true, "broadcast"},
		{"::1", true, "loopback"},
		{"::", true, "unspecified"},
		{"fe80::1", true, "link-local"},
		{"fe80::1%eth0", true, "link-local"},
		{"fc00::1", true, "private"},
		{"fd12:3456::1", true, "private"},
		{"fd00:ec2::254", true, "metadata"},
		{"ff02::1", true, "multicast"},
		{"::ffff:127.0.0.1", true, "loopback"},
		{"::ffff:169.254.169.254", true, "metadata"},
		{"64:ff9b::a00:1", true, "private address (via NAT64)"},
		{"2002:7f00:1::1", true, "loopback address (via 6to4)"},
		{"93.184.215.14", false, ""},
		{"8.8.8.8", false, ""},
		{"100.128.0.1", false, ""},
		{"172.32.0.1", false, ""},
		{"2606:4700:4700::1111", false, ""},
		{"64:ff9b::808:808", false, ""},
		{"2002:808:808::1", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			why := blockedReason(netip.MustParseAddr(tt.addr))
			if (why != "") != tt.blocked || !strings.Contains(why, tt.want) {
				t.Errorf("blockedReason(%s) = %q, want blocked=%v containing %q", tt.addr, why, tt.blocked, tt.want)
			}
		})
	}
}

func TestGuardAllowList(t *testing.T) {
	g, err := newGuard([]string{"10.1.0.0/16", "127.0.0.1", "::1", " Feeds.Internal. ", ""})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"10.1.2.3", true},
		{"10.2.0.1", false},
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"127.0.0.2", false},
		{"::1", true},
		{"169.254.169.254", false},
		{"8.8.8.8", true},
	}
	for _, tt := range tests {
		err := g.check(netip.MustParseAddr(tt.addr))
		if (err == nil) != tt.allowed {
			t.Errorf("check(%s) = %v, want allowed=%v", tt.addr, err, tt.allowed)
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("check(%s) = %v, want ErrRefused", tt.addr, err)
		}
	}
	if !g.hosts["feeds.internal"] {
		t.Errorf("host name not allow-listed: %v", g.hosts)
	}
}

func TestGuardAllowListErrors(t *testing.T) {
	for _, entry := range []string{"10.0.0.0/33", "http://example.com", "user@host", "a b"} {
		if _, err := newGuard([]string{entry}); err == nil {
			t.Errorf("newGuard(%q): no error", entry)
		}
		if _, err := New(Config{AllowHosts: []string{entry}}); err == nil || !strings.Contains(err.Error(), "AllowHosts") {
			t.Errorf("New with AllowHosts %q: error %v does not name the field", entry, err)
		}
	}
}

// sentinelListener listens on 127.0.0.1 and records what connects to it.
// Connections are accepted in order; after the code under test has run,
// check dials the listener itself with a marker, so every connection the
// code under test made is accepted before the marker.
type sentinelListener struct {
	ln     net.Listener
	mu     sync.Mutex
	others int
	done   chan struct{}
}

const sentinelMarker = "SENTINEL\n"

func newSentinelListener(t *testing.T) *sentinelListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sentinelListener{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if line == sentinelMarker {
				return
			}
			s.mu.Lock()
			s.others++
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *sentinelListener) addr() string { return s.ln.Addr().String() }

// connections returns how many connections other than the marker reached
// the listener.
func (s *sentinelListener) connections(t *testing.T) int {
	t.Helper()
	c, err := net.Dial("tcp", s.addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(c, sentinelMarker)
	c.Close()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.others
}

func TestGuardRefusesBeforeConnecting(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			s := newSentinelListener(t)
			_, port, _ := net.SplitHostPort(s.addr())
			c := newTestClient(t, Config{AllowHosts: nil, IgnoreRobots: true})
			_, err := c.Fetch(context.Background(), "http://"+net.JoinHostPort(host, port)+"/feed.xml")
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Fetch = %v, want ErrRefused", err)
			}
			var op *net.OpError
			if !errors.As(err, &op) || op.Op != "dial" {
				t.Errorf("error %v does not come from the dialer's Control hook", err)
			}
			if Reason(err) != "refused" || Retryable(err) {
				t.Errorf("Reason = %q, Retryable = %v", Reason(err), Retryable(err))
			}
			if n := s.connections(t); n != 0 {
				t.Errorf("the refused fetch reached the listener %d times", n)
			}
		})
	}
}

func TestGuardAllowListedHostConnects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	c := newTestClient(t, Config{AllowHosts: []string{"localhost"}, IgnoreRobots: true})
	resp, err := c.Fetch(context.Background(), "http://localhost:"+port+"/")
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "ok" {
		t.Errorf("body %q", resp.Body)
	}
}

func TestRedirectToLoopbackRefused(t *testing.T) {
	target := newSentinelListener(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, "http://"+target.addr()+"/admin", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	// The server is allow-listed by name; the redirect goes to 127.0.0.1.
	c := newTestClient(t, Config{AllowHosts: []string{"localhost"}})
	_, err := c.Fetch(context.Background(), "http://localhost:"+port+"/feed")
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("Fetch = %v, want ErrRefused", err)
	}
	if n := target.connections(t); n != 0 {
		t.Errorf("the redirect target was connected to %d times", n)
	}
}
