package poll

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFeedText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text", "  Just a summary,\n  on two lines.  ", "Just a summary, on two lines."},
		{"paragraphs", "<p>First paragraph.</p><p>Second   paragraph.</p>", "First paragraph.\n\nSecond paragraph."},
		{"entities", "<p>Fish &amp; chips &#8211; &quot;tasty&quot; &eacute;t&eacute;</p>", "Fish & chips – \"tasty\" été"},
		{"inline markup keeps words apart", "<p>The <b>mayor</b>, <a href=\"/x\">Ana Silva</a>, said<i>no</i>.</p>", "The mayor, Ana Silva, saidno."},
		{"space across tags", "<p>one<span> two</span> <em>three</em></p>", "one two three"},
		{"scripts and styles dropped", "<p>Text<script>var x = '<p>not text</p>';</script> here.</p><style>p{}</style>", "Text here."},
		{"single br is a space, two end a paragraph", "Line one<br>line two<br/><br>New paragraph", "Line one line two\n\nNew paragraph"},
		{"lists and headings", "<h2>Key points</h2><ul><li>One</li><li>Two</li></ul>", "Key points\n\nOne\n\nTwo"},
		{"div soup", "<div><div>Nested</div>text<div></div></div>", "Nested\n\ntext"},
		{"empty", "", ""},
		{"only markup", "<p> </p><img src=x><br>", ""},
		{"unclosed tags", "<p>Open <b>bold", "Open bold"},
		{"invalid UTF-8", "caf\xe9 au lait", "caf\uFFFD au lait"},
		{"figure caption kept apart", "<p>Body.</p><figure><img src=a><figcaption>Caption</figcaption></figure>", "Body.\n\nCaption"},
	}
	for _, tt := range tests {
		if got := feedText(tt.in); got != tt.want {
			t.Errorf("%s: feedText(%q)\n got %q\nwant %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func FuzzFeedText(f *testing.F) {
	for _, s := range []string{
		"<p>a</p><p>b</p>", "x<br><br>y", "<script>a</script>b", "&amp;&#0;&#xD800;", "<p>caf\xe9</p>",
		"<style><p>never closed", "</p></div></li>", "<![CDATA[x]]>", "<!-- c --> t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := feedText(in)
		if !utf8.ValidString(out) {
			t.Fatalf("feedText(%q) = %q is not UTF-8", in, out)
		}
		if out != strings.TrimSpace(out) {
			t.Fatalf("feedText(%q) = %q has surrounding space", in, out)
		}
		for _, p := range strings.Split(out, "\n\n") {
			if out != "" && strings.TrimSpace(p) == "" {
				t.Fatalf("feedText(%q) = %q has an empty paragraph", in, out)
			}
			if strings.Contains(p, "  ") || strings.ContainsAny(p, "\t\r") {
				t.Fatalf("feedText(%q) = %q: white space not collapsed in %q", in, out, p)
			}
		}
		// Plain text without markup characters comes out as its words.
		if !strings.ContainsAny(in, "<&") && utf8.ValidString(in) {
			if want := strings.Join(strings.Fields(in), " "); out != want {
				t.Fatalf("feedText(%q) = %q, want %q", in, out, want)
			}
		}
	})
}

func TestSameSite(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://www.example.com/a", "https://example.com/b", true},
		{"https://edition.example.com/a", "https://www.example.com/b", true},
		{"http://example.com/a", "https://EXAMPLE.com./b", true},
		{"https://example.com/a", "https://example.org/a", false},
		{"https://notexample.com/a", "https://example.com/a", false},
		{"https://com/a", "https://example.com/a", false},
		{"https://evil.example/a", "", false},
		{"mailto:x@example.com", "https://example.com/", false},
	}
	for _, tt := range tests {
		if got := sameSite(tt.a, tt.b); got != tt.want {
			t.Errorf("sameSite(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", " en-GB ": "en-GB", "pt_BR": "pt_BR", "e": "", "english (uk)": "", "12": "",
		"x-very-long-language-tag": "", "de-1996": "de-1996",
	} {
		if got := language(in); got != want {
			t.Errorf("language(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClipUTF8(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"}, {"abcdef", 3, "abc"}, {"aé", 2, "a"}, {"aé", 3, "aé"}, {"日本", 4, "日"}, {"日本", 2, ""},
	} {
		if got := clipUTF8(tt.in, tt.n); got != tt.want {
			t.Errorf("clipUTF8(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func BenchmarkFeedText(b *testing.B) {
	var sb strings.Builder
	for i := range 20 {
		sb.WriteString("<p>Paragraph ")
		sb.WriteString(strings.Repeat("with <b>some</b> words &amp; entities ", 10))
		sb.WriteString(string(rune('a' + i)))
		sb.WriteString("</p>\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		feedText(in)
	}
}
