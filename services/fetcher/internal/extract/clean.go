package extract

import (
	"regexp"
	"strings"

	"github.com/newsflow/newsflow/services/fetcher/internal/extract/shingle"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// cueRE matches the start of in-article callouts that point elsewhere
// ("Related: ...", "Read more: ...") in the languages we see most.
var cueRE = regexp.MustCompile(`(?i)^\s*(?:related(?: stories| articles| coverage| content)?|read more|read also|also read|see also|more from [^:]{1,40}|recommended|watch|listen|click here|sign up|subscribe|advertisement|leia também|leia mais|veja também|veja mais|saiba mais|baca juga|leggi anche|lee también|lea también|lire aussi|à lire aussi|lesen sie auch|mehr zum thema|читайте также|смотрите также|читать также)\s*[:|\-–—»>]`)

// adRE matches a paragraph that is only an advertisement marker.
var adRE = regexp.MustCompile(`(?i)^\s*(?:advertisement|advert|ad|anzeige|publicidade|publicidad|pubblicità|publicité|реклама|iklan|광고)\s*$`)

// maxCueTokens bounds the length of a paragraph removed for its cue: a
// longer one is body text that happens to start with the word.
const maxCueTokens = 40

// pageTexts are texts of the original page used to recognise boilerplate.
type pageTexts struct {
	titles []string // token-joined, lower-cased candidate headlines
	links  map[string]bool
}

// collectTexts gathers the page's headline candidates (<title>, <h1>, and
// the given extra titles) and the token runs of its links.
func collectTexts(doc *html.Node, extra ...string) pageTexts {
	pt := pageTexts{links: map[string]bool{}}
	addTitle := func(s string) {
		if k := tokenKey(s); k != "" {
			pt.titles = append(pt.titles, k)
		}
	}
	for _, s := range extra {
		addTitle(s)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Noscript, atom.Template:
				return
			case atom.Title, atom.H1:
				addTitle(nodeText(n))
			case atom.A:
				if k := tokenKey(nodeText(n)); k != "" {
					pt.links[k] = true
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return pt
}

// clean removes boilerplate that survives extraction: a leading headline,
// callouts ("Related: ..."), advertisement markers, and a trailing list of
// links (with its short heading).
func clean(paras []string, pt pageTexts) []string {
	out := make([]string, 0, len(paras))
	for i, p := range paras {
		key := tokenKey(p)
		if key == "" {
			continue
		}
		if i < 3 && len(out) == 0 && pt.isTitle(key) {
			continue
		}
		if adRE.MatchString(p) {
			continue
		}
		if cueRE.MatchString(p) && len(shingle.Tokens(p)) <= maxCueTokens {
			continue
		}
		out = append(out, p)
	}
	// Trailing run of link paragraphs: "more stories" lists.
	end := len(out)
	for end > 0 && pt.isLinkItem(out[end-1]) {
		end--
	}
	if n := len(out) - end; n >= 2 && n <= len(out)/2 {
		if end > 0 && isShortHeading(out[end-1]) {
			end--
		}
		out = out[:end]
	}
	return out
}

// maxLinkItemTokens bounds a paragraph that isLinkItem may report.
const maxLinkItemTokens = 30

// isLinkItem reports a short paragraph whose text is mostly link text: the
// links found in it cover at least half of its characters.
func (pt pageTexts) isLinkItem(p string) bool {
	key := tokenKey(p)
	if key == "" || strings.Count(key, " ")+1 > maxLinkItemTokens {
		return false
	}
	if pt.links[key] {
		return true
	}
	padded := " " + key + " "
	covered := 0
	for l := range pt.links {
		if strings.Contains(padded, " "+l+" ") {
			covered += len(l)
		}
	}
	return 2*covered >= len(key)
}

// isTitle reports whether a paragraph's token key is one of the headlines,
// or a headline is a prefix of it ("Title | Site").
func (pt pageTexts) isTitle(key string) bool {
	for _, t := range pt.titles {
		if key == t || strings.HasPrefix(t, key+" ") && len(key) >= len(t)/2 {
			return true
		}
	}
	return false
}

// isShortHeading reports a few words without sentence punctuation, such as
// "More Great Stories".
func isShortHeading(p string) bool {
	p = strings.TrimSpace(p)
	if len(shingle.Tokens(p)) > 6 || p == "" {
		return false
	}
	r := []rune(p)
	return !strings.ContainsRune(".!?…:;,", r[len(r)-1])
}

// tokenKey is the lower-cased token sequence of s, space-joined: texts that
// differ only in punctuation, spacing and case have the same key.
func tokenKey(s string) string {
	return strings.ToLower(strings.Join(shingle.Tokens(s), " "))
}

// nodeText is the concatenated text under n.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
