package events_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

var canonicalURLCases = []struct {
	name, in, want string
}{
	{"already canonical", "https://example.com/a/b", "https://example.com/a/b"},
	{"scheme and host case", "HTTPS://WWW.Example.COM/Path/Case", "https://www.example.com/Path/Case"},
	{"surrounding space", "  https://example.com/a \n", "https://example.com/a"},
	{"empty path", "https://example.com", "https://example.com/"},
	{"http default port", "http://example.com:80/a", "http://example.com/a"},
	{"https default port", "https://example.com:443/a", "https://example.com/a"},
	{"empty port", "https://example.com:/a", "https://example.com/a"},
	{"other port kept", "https://example.com:8443/a", "https://example.com:8443/a"},
	{"https port on http kept", "http://example.com:443/a", "http://example.com:443/a"},
	{"trailing dot of host", "https://example.com./a", "https://example.com/a"},
	{"trailing dots of host", "https://example.com../a", "https://example.com/a"},
	{"fragment", "https://example.com/a#comments", "https://example.com/a"},
	{"empty fragment", "https://example.com/a#", "https://example.com/a"},
	{"utm parameters", "https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x", "https://example.com/a"},
	{"tracking ids", "https://example.com/a?fbclid=1&gclid=2&mc_cid=3&_ga=4&WT.mc_id=5&ocid=6&id=7", "https://example.com/a?id=7"},
	{"escaped tracking name", "https://example.com/a?utm%5Fsource=rss&id=7", "https://example.com/a?id=7"},
	{"parameter order", "https://example.com/a?b=2&a=1&c=3", "https://example.com/a?a=1&b=2&c=3"},
	{"repeated parameter order", "https://example.com/a?x=2&x=1", "https://example.com/a?x=1&x=2"},
	{"empty pairs and bare question mark", "https://example.com/a?&&", "https://example.com/a"},
	{"only a question mark", "https://example.com/a?", "https://example.com/a"},
	{"parameter without value kept", "https://example.com/a?amp&id=3", "https://example.com/a?amp&id=3"},
	{"semicolon kept", "https://example.com/a.php?id=1;2", "https://example.com/a.php?id=1;2"},
	{"space and non-ASCII in query escaped", "https://example.com/a?q=a b&r=ä&s=\"x\"", "https://example.com/a?q=a%20b&r=%C3%A4&s=%22x%22"},
	{"trailing space in query", "https://example.com/a?q= ", "https://example.com/a?q="},
	{"malformed escape kept, escaped", "https://example.com/a?q=%zz", "https://example.com/a?q=%25zz"},
	{"escape hex case", "https://example.com/a%2fb?q=%2f", "https://example.com/a%2Fb?q=%2F"},
	{"escaped unreserved decoded", "https://example.com/%7Euser/%41bc?q=%41", "https://example.com/~user/Abc?q=A"},
	{"non-ASCII path", "https://example.com/новости/ä", "https://example.com/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/%C3%A4"},
	{"space in path", "https://example.com/a b", "https://example.com/a%20b"},
	{"dot segments", "https://example.com/a/./b/../c", "https://example.com/a/c"},
	{"dot segments above root", "https://example.com/../../a", "https://example.com/a"},
	{"escaped dot segments", "https://example.com/a/%2E%2E/c", "https://example.com/c"},
	{"double slash", "https://example.com/a//b", "https://example.com/a/b"},
	{"trailing slash kept", "https://example.com/a/b/", "https://example.com/a/b/"},
	{"trailing slash after dot segment", "https://example.com/a/b/../", "https://example.com/a/"},
	{"userinfo removed", "https://user:secret@example.com/a", "https://example.com/a"},
	{"IPv6 literal", "http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"},
	{"IPv6 literal with port", "https://[::1]:8443/a", "https://[::1]:8443/a"},
	{"IPv4 literal", "http://192.0.2.1:8080/a", "http://192.0.2.1:8080/a"},
	{"everything at once", "HTTPS://user@News.Example.COM:443/world/./2021/../story/?utm_source=x&b=2&a=1#top", "https://news.example.com/world/story/?a=1&b=2"},
}

func TestCanonicalURL(t *testing.T) {
	for _, c := range canonicalURLCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := events.CanonicalURL(c.in)
			if err != nil {
				t.Fatalf("CanonicalURL(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", c.in, got, c.want)
			}
			again, err := events.CanonicalURL(got)
			if err != nil || again != got {
				t.Errorf("not a fixed point: CanonicalURL(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalURLRefuses(t *testing.T) {
	for _, in := range []string{
		"",
		"example.com/a",
		"/relative/path",
		"//example.com/a",
		"ftp://example.com/a",
		"file:///etc/passwd",
		"mailto:desk@example.com",
		"javascript:alert(1)",
		"data:text/html,hi",
		"http:opaque",
		"http:///no-host",
		"https://user@/a",
		"http://example.com/%zz",
		"http://exa mple.com/",
		"http://example.com:port/",
		"http://[::1/",
		"http://example.com/\x7f",
	} {
		got, err := events.CanonicalURL(in)
		if !errors.Is(err, events.ErrURL) {
			t.Errorf("CanonicalURL(%q) = %q, %v; want ErrURL", in, got, err)
		}
		if _, err := events.ArticleIDFromURL(in); !errors.Is(err, events.ErrURL) {
			t.Errorf("ArticleIDFromURL(%q) error %v; want ErrURL", in, err)
		}
	}
}

func TestArticleIDFromURL(t *testing.T) {
	id := func(u string) string {
		t.Helper()
		s, err := events.ArticleIDFromURL(u)
		if err != nil {
			t.Fatalf("ArticleIDFromURL(%q): %v", u, err)
		}
		if !events.IsArticleID(s) {
			t.Fatalf("ArticleIDFromURL(%q) = %q is not an article ID", u, s)
		}
		return s
	}
	same := [][]string{
		{"https://example.com/story", "HTTPS://Example.com:443/story#x", "https://example.com/story?utm_source=a", "https://u:p@example.com/./story"},
		{"https://example.com/a?b=1&c=2", "https://example.com/a?c=2&b=1&fbclid=z"},
		{"https://example.com/%7Ea", "https://example.com/~a"},
	}
	for _, group := range same {
		for _, u := range group[1:] {
			if id(u) != id(group[0]) {
				t.Errorf("%q and %q should have one ID", u, group[0])
			}
		}
	}
	different := [][2]string{
		{"https://example.com/story", "http://example.com/story"},
		{"https://example.com/story", "https://example.com/story/"},
		{"https://example.com/story", "https://example.com/Story"},
		{"https://example.com/story", "https://www.example.com/story"},
		{"https://example.com/story", "https://example.com:8443/story"},
		{"https://example.com/a?id=1", "https://example.com/a?id=2"},
		{"https://example.com/a.php?id=1;2", "https://example.com/a.php?id=1;3"},
		{"https://example.com/a?q=%zz", "https://example.com/a?q=%yy"},
		{"https://example.com/a%2Fb", "https://example.com/a/b"},
	}
	for _, p := range different {
		if id(p[0]) == id(p[1]) {
			t.Errorf("%q and %q should have different IDs", p[0], p[1])
		}
	}
	// The ID must never change for a URL: stored rows and dedup windows depend on it.
	// want is the first 16 bytes of SHA-256("url\x00https://example.com/story"), computed elsewhere.
	if got, want := id("https://example.com/story"), "b04ffad4593bca53e071825694b53837"; got != want {
		t.Errorf("ArticleIDFromURL changed: %s, was %s", got, want)
	}
	// A URL and a text that happen to be equal strings do not share an ID.
	if id("https://example.com/story") == events.ArticleIDFromContent("https://example.com/story") {
		t.Error("URL and content IDs are not domain-separated")
	}
}

func TestArticleIDFromContent(t *testing.T) {
	a := events.ArticleIDFromContent("Russia and China backed the call.\n\nThe Taliban welcomed it.")
	if !events.IsArticleID(a) {
		t.Fatalf("%q is not an article ID", a)
	}
	for _, same := range []string{
		"Russia and China backed the call. The Taliban welcomed it.",
		"  Russia and China\tbacked the call.\r\n The Taliban welcomed it.\n",
		"Russia and China backed\u00a0the call.\u2028The Taliban welcomed it.",
	} {
		if got := events.ArticleIDFromContent(same); got != a {
			t.Errorf("ArticleIDFromContent(%q) = %s, want %s", same, got, a)
		}
	}
	for _, other := range []string{
		"Russia and China backed the call.The Taliban welcomed it.",
		"russia and china backed the call. the taliban welcomed it.",
		"Russia and China backed the call. The Taliban welcomed it!",
		"",
	} {
		if got := events.ArticleIDFromContent(other); got == a {
			t.Errorf("ArticleIDFromContent(%q) should differ", other)
		}
	}
}

func TestContentHash(t *testing.T) {
	sum := sha256.Sum256([]byte("a b c"))
	want := hex.EncodeToString(sum[:])
	for _, in := range []string{"a b c", " a\n\nb\tc ", "a\u3000b  c"} {
		if got := events.ContentHash(in); got != want {
			t.Errorf("ContentHash(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNormalizeText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{" \t\n ", ""},
		{"a", "a"},
		{"  a  b  ", "a b"},
		{"a\r\n\r\nb", "a b"},
		{"a\u00a0\u2003b\u0085c", "a b c"},
		{"naïve  café", "naïve café"},
	} {
		if got := events.NormalizeText(c.in); got != c.want {
			t.Errorf("NormalizeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIsArticleID(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"0123456789abcdef0123456789abcdef", true},
		{"0123456789ABCDEF0123456789abcdef", false},
		{"0123456789abcdef0123456789abcde", false},
		{"0123456789abcdef0123456789abcdef0", false},
		{"0123456789abcdeg0123456789abcdef", false},
		{"", false},
	} {
		if got := events.IsArticleID(c.in); got != c.want {
			t.Errorf("IsArticleID(%q) = %v", c.in, got)
		}
	}
}

func TestMsgIDs(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	if got, want := events.EnrichedMsgID(id, "v1"), id+":v1"; got != want {
		t.Errorf("EnrichedMsgID = %q, want %q", got, want)
	}
	if got, want := events.MentionMsgID(id, "v1", "location:russia"), id+":v1:location:russia"; got != want {
		t.Errorf("MentionMsgID = %q, want %q", got, want)
	}
	if events.EnrichedMsgID(id, "v1") == events.EnrichedMsgID(id, "v2") {
		t.Error("a new enricher version must get a new Msg-Id, or JetStream drops the re-enrichment")
	}
}
