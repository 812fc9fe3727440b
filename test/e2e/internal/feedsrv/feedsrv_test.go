package feedsrv

import (
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/test/e2e/internal/corpus"
)

func newServer(t *testing.T, c Config) *httptest.Server {
	t.Helper()
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func small() Config {
	c := DefaultConfig()
	c.Window = 3
	c.Limit = 100
	c.EndlessBytes = 1 << 20
	c.BombBytes = 8 << 20
	return c
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := noRedirect().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func feedLinks(t *testing.T, b []byte) []string {
	t.Helper()
	var f struct {
		Links []string `xml:"channel>item>link"`
	}
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("feed: %v", err)
	}
	return f.Links
}

func TestOfferMovesTheWindow(t *testing.T) {
	ts := newServer(t, small())
	if _, b := get(t, ts.URL+"/feed.xml"); len(feedLinks(t, b)) != 0 {
		t.Fatal("a feed with nothing offered lists items")
	}
	for _, tc := range []struct {
		upto int
		want []string
	}{
		{2, []string{"/news/1", "/news/0"}},
		{5, []string{"/news/4", "/news/3", "/news/2"}},
		{4, []string{"/news/4", "/news/3", "/news/2"}}, // an offer never shrinks
	} {
		resp, err := http.Post(ts.URL+"/admin/offer?upto="+strconv.Itoa(tc.upto), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("offer %d: %s", tc.upto, resp.Status)
		}
		_, b := get(t, ts.URL+"/feed.xml")
		links := feedLinks(t, b)
		if strings.Join(links, " ") != strings.Join(prefixed("http://feedsrv:8080", tc.want), " ") {
			t.Errorf("after offer %d: links %v, want %v", tc.upto, links, tc.want)
		}
	}
	for _, bad := range []string{"-1", "x", "101"} {
		resp, err := http.Post(ts.URL+"/admin/offer?upto="+bad, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("offer %s: %s, want 400", bad, resp.Status)
		}
	}
}

func prefixed(base string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = base + p
	}
	return out
}

func TestPagesOnlyOnceOffered(t *testing.T) {
	c := small()
	c.Offered = 3
	ts := newServer(t, c)
	resp, b := get(t, ts.URL+"/news/2")
	if resp.StatusCode != http.StatusOK || string(b) != string(corpus.Generate(2).HTML()) {
		t.Errorf("/news/2: %s, want article 2's page", resp.Status)
	}
	for _, p := range []string{"/news/3", "/news/-1", "/news/02", "/news/x"} {
		if resp, _ := get(t, ts.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", p, resp.Status)
		}
	}
	var st State
	resp, b = get(t, ts.URL+"/admin/state")
	if err := json.Unmarshal(b, &st); err != nil || st.Offered != 3 || st.Requests["/news/"] != 5 {
		t.Errorf("state %s: %+v, %v; want offered 3 and 5 page requests", resp.Status, st, err)
	}
}

func TestHostileEndpoints(t *testing.T) {
	ts := newServer(t, small())
	t.Run("malformed", func(t *testing.T) {
		_, b := get(t, ts.URL+"/hostile/malformed.xml")
		var v any
		if err := xml.Unmarshal(b, &v); err == nil {
			t.Error("the malformed feed parses")
		}
	})
	t.Run("endless stops at its cap", func(t *testing.T) {
		_, b := get(t, ts.URL+"/hostile/endless.xml")
		if len(b) < 1<<20 || len(b) > 2<<20 {
			t.Errorf("endless sent %d bytes, want about its 1 MiB cap", len(b))
		}
	})
	t.Run("gzip bomb", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/hostile/bomb.xml", nil)
		req.Header.Set("Accept-Encoding", "gzip") // keep the transport from decoding it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		compressed, _ := io.ReadAll(resp.Body)
		zr, err := gzip.NewReader(strings.NewReader(string(compressed)))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, zr)
		if err != nil {
			t.Fatal(err)
		}
		if n != 8<<20 || len(compressed)*100 > int(n) {
			t.Errorf("bomb: %d bytes inflate to %d; want 8 MiB from under 1%%", len(compressed), n)
		}
	})
	t.Run("redirect loop", func(t *testing.T) {
		_, err := http.Get(ts.URL + "/hostile/loop.xml")
		if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
			t.Errorf("following the loop: %v, want the client's redirect limit", err)
		}
	})
	t.Run("redirect to a private address", func(t *testing.T) {
		resp, _ := get(t, ts.URL+"/hostile/private.xml")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://127.0.0.1:") {
			t.Errorf("%s to %q, want 302 to the loopback address", resp.Status, loc)
		}
	})
	t.Run("pages feed links every hostile page", func(t *testing.T) {
		_, b := get(t, ts.URL+"/hostile/pages.xml")
		links := feedLinks(t, b)
		if len(links) != len(HostilePages) {
			t.Fatalf("%d links, want %d", len(links), len(HostilePages))
		}
		for i, p := range HostilePages {
			if links[i] != "http://feedsrv:8080/hostile/page/"+p {
				t.Errorf("link %d = %s", i, links[i])
			}
		}
	})
}

func TestNewRefusesUnusableConfig(t *testing.T) {
	for _, c := range []Config{{}, {Base: "http://x", Window: 0}, {Base: "http://x", Window: 1, Offered: 5, Limit: 4}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}
