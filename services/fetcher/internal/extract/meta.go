package extract

import (
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/newsflow/newsflow/services/fetcher/internal/weburl"
)

// pageMeta is what the page declares about itself in <head>, JSON-LD and
// microdata.
type pageMeta struct {
	canonical string
	title     string // og:title or JSON-LD headline
	byline    string
	published *time.Time
	language  string // declared: <html lang>, content-language, og:locale
	siteName  string
}

// readMeta collects the page's declarations. pageURL may be nil.
func readMeta(doc *html.Node, pageURL *url.URL) pageMeta {
	var (
		m                            pageMeta
		canonical, ogURL, baseHref   string
		htmlLang, httpLang, ogLocale string
		ogTitle, metaAuthor, ogSite  string
		dates                        = map[string]string{}
		itemDate, timeDate           string
		ld                           []ldArticle
	)
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				htmlLang = attr(n, "lang")
				if htmlLang == "" {
					htmlLang = attr(n, "xml:lang")
				}
			case atom.Base:
				if baseHref == "" {
					baseHref = attr(n, "href")
				}
			case atom.Link:
				if canonical == "" && hasToken(attr(n, "rel"), "canonical") {
					canonical = attr(n, "href")
				}
			case atom.Meta:
				key := strings.ToLower(firstNonEmpty(attr(n, "property"), attr(n, "name"), attr(n, "itemprop")))
				content := strings.TrimSpace(attr(n, "content"))
				if strings.EqualFold(attr(n, "http-equiv"), "content-language") && httpLang == "" {
					httpLang = content
				}
				if content == "" {
					break
				}
				switch key {
				case "og:url":
					ogURL = firstNonEmpty(ogURL, content)
				case "og:title":
					ogTitle = firstNonEmpty(ogTitle, content)
				case "og:site_name":
					ogSite = firstNonEmpty(ogSite, content)
				case "og:locale":
					ogLocale = firstNonEmpty(ogLocale, content)
				case "author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author":
					if !strings.Contains(content, "://") {
						metaAuthor = firstNonEmpty(metaAuthor, content)
					}
				case "article:published_time", "article:published", "og:article:published_time", "og:published_time",
					"published_time", "pdate", "datepublished", "dc.date.created",
					"parsely-pub-date", "sailthru.date", "dc.date.issued", "dc.date", "dcterms.created",
					"date", "pubdate", "publishdate", "publish-date", "article.published", "cxenseparse:recs:publishtime":
					if _, ok := dates[key]; !ok {
						dates[key] = content
					}
				}
			case atom.Script:
				if t := strings.ToLower(strings.TrimSpace(attr(n, "type"))); t == "application/ld+json" && n.FirstChild != nil {
					ld = append(ld, parseJSONLD([]byte(n.FirstChild.Data))...)
				}
				return
			case atom.Time:
				if timeDate == "" && (hasToken(attr(n, "itemprop"), "datePublished") || hasAttr(n, "pubdate")) {
					timeDate = attr(n, "datetime")
				}
			case atom.Style, atom.Noscript, atom.Template:
				return
			}
			if itemDate == "" && hasToken(attr(n, "itemprop"), "datePublished") {
				itemDate = firstNonEmpty(attr(n, "content"), attr(n, "datetime"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	base := pageURL
	if baseHref != "" {
		if b := weburl.Resolve(pageURL, baseHref); b != "" {
			base, _ = url.Parse(b)
		}
	}
	m.canonical = weburl.Resolve(base, canonical)
	if m.canonical == "" {
		m.canonical = weburl.Resolve(base, ogURL)
	}

	art := bestLD(ld)
	m.title = firstNonEmpty(art.headline, ogTitle)
	m.byline = firstNonEmpty(strings.Join(art.authors, ", "), metaAuthor)
	m.siteName = firstNonEmpty(ogSite, art.publisher)

	candidates := []string{art.published}
	for _, k := range []string{"article:published_time", "article:published", "og:article:published_time",
		"og:published_time", "published_time", "datepublished", "parsely-pub-date", "dc.date.created", "pdate",
		"sailthru.date", "dc.date.issued", "dcterms.created", "dc.date", "article.published", "publishdate",
		"publish-date", "pubdate", "date", "cxenseparse:recs:publishtime"} {
		candidates = append(candidates, dates[k])
	}
	candidates = append(candidates, itemDate, timeDate)
	for _, c := range candidates {
		if t, ok := parseTime(c); ok {
			m.published = &t
			break
		}
	}
	m.language = firstNonEmpty(normLang(art.language), normLang(htmlLang), normLang(httpLang), normLang(ogLocale))
	return m
}

// normLang returns the primary subtag of a language tag, lower-cased, if it
// looks like an ISO 639 code ("pt-BR" -> "pt", "en_US" -> "en").
func normLang(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_,; "); i >= 0 {
		tag = tag[:i]
	}
	tag = strings.ToLower(tag)
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for _, c := range tag {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return tag
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return true
		}
	}
	return false
}

// hasToken reports whether the space-separated list s holds tok (ASCII
// case-insensitively).
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
