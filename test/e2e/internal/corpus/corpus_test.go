package corpus

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGenerateIsDeterministicAndUnique(t *testing.T) {
	titles := map[string]int{}
	bodies := map[string]int{}
	for n := range 3000 {
		a, b := Generate(n), Generate(n)
		if a.Title != b.Title || a.Body() != b.Body() || !a.Published.Equal(b.Published) {
			t.Fatalf("article %d differs between two calls", n)
		}
		if prev, ok := titles[a.Title]; ok {
			t.Fatalf("articles %d and %d share the title %q", prev, n, a.Title)
		}
		if prev, ok := bodies[a.Body()]; ok {
			t.Fatalf("articles %d and %d share a body", prev, n)
		}
		titles[a.Title], bodies[a.Body()] = n, n
		if len(a.Paragraphs) < 4 || !utf8.ValidString(a.Body()) {
			t.Fatalf("article %d: %d paragraphs, valid UTF-8 %v", n, len(a.Paragraphs), utf8.ValidString(a.Body()))
		}
	}
}

func TestSerialOf(t *testing.T) {
	for _, n := range []int{0, 7, 12345, 999999} {
		got, ok := SerialOf(Generate(n).Title)
		if !ok || got != n {
			t.Errorf("SerialOf(Generate(%d).Title) = %d, %v", n, got, ok)
		}
	}
	for _, title := range []string{"", "Plain title", "x (report )", "x (report -1)", "x (report 007)", "x (report 5", "x (report 5) more"} {
		if n, ok := SerialOf(title); ok {
			t.Errorf("SerialOf(%q) = %d, true; want false", title, n)
		}
	}
}

func TestTextFileLayout(t *testing.T) {
	a := Generate(42)
	lines := strings.Split(string(a.TextFile()), "\n")
	if lines[0] != "date "+a.Published.Format("2006-01-02") {
		t.Errorf("first line %q, want the date line", lines[0])
	}
	if lines[1] != a.Title || lines[2] != "" {
		t.Errorf("title lines %q, %q: want the title alone, then a blank line", lines[1], lines[2])
	}
	if !strings.Contains(string(a.TextFile()), a.Body()) {
		t.Error("the text file does not hold the body")
	}
}

func TestRSSIsWellFormedAndNewestFirst(t *testing.T) {
	var feed struct {
		Items []struct {
			Title string `xml:"title"`
			Link  string `xml:"link"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(RSS("http://feedsrv:8080", 10, 15), &feed); err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) != 5 {
		t.Fatalf("%d items, want 5", len(feed.Items))
	}
	for i, it := range feed.Items {
		n := 14 - i
		if it.Title != Generate(n).Title || it.Link != "http://feedsrv:8080/news/"+strconv.Itoa(n) {
			t.Errorf("item %d = %q %q, want article %d", i, it.Title, it.Link, n)
		}
	}
	var empty struct {
		Items []struct{} `xml:"channel>item"`
	}
	if err := xml.Unmarshal(RSS("http://x", 0, 0), &empty); err != nil || len(empty.Items) != 0 {
		t.Errorf("empty feed: %v, %d items", err, len(empty.Items))
	}
}

func TestHTMLHoldsEveryParagraph(t *testing.T) {
	a := Generate(7)
	page := string(a.HTML())
	for _, p := range a.Paragraphs {
		// The generated text has no characters html.EscapeString changes
		// except the apostrophe.
		if !strings.Contains(page, strings.ReplaceAll(p, "'", "&#39;")) {
			t.Errorf("page lacks paragraph %q", p)
		}
	}
	for _, want := range []string{"<h1>", "application/ld+json", "<nav>", "<footer>", "og:title"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func FuzzSerialOf(f *testing.F) {
	for _, s := range []string{"x (report 1)", "(report 0)", "x (report 01)", "x (report -3)", "x (report 99999999999999999999)", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		n, ok := SerialOf(title)
		if !ok {
			return
		}
		suffix := "(report " + strconv.Itoa(n) + ")"
		if n < 0 || !strings.HasSuffix(title, suffix) {
			t.Fatalf("SerialOf(%q) = %d, but the title does not end in %q", title, n, suffix)
		}
		if m, ok := SerialOf(Generate(n).Title); !ok || m != n {
			t.Fatalf("serial %d does not round-trip through Generate: %d, %v", n, m, ok)
		}
	})
}
