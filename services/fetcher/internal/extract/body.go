package extract

import (
	"net/url"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// body is the main text one algorithm found, with the metadata it saw.
type body struct {
	extractor string
	paras     []string
	title     string
	byline    string
	siteName  string
}

// runReadability returns the readability body and the article node it
// found (nil if none).
func runReadability(doc *html.Node, pageURL *url.URL) (*body, *html.Node) {
	p := readability.NewParser()
	a, err := p.ParseDocument(doc, pageURL)
	if err != nil {
		return nil, nil
	}
	b := &body{extractor: Readability.String(), title: a.Title(), byline: a.Byline(), siteName: a.SiteName()}
	if a.Node != nil {
		b.paras = renderText(a.Node, false)
	}
	return b, a.Node
}

// runTrafilatura runs trafilatura with its fallbacks; read, when not nil, is
// readability's article node, offered to trafilatura as its fallback
// candidate so readability does not run twice.
func runTrafilatura(doc *html.Node, pageURL *url.URL, read *html.Node, focus trafilatura.ExtractionFocus) *body {
	opts := trafilatura.Options{
		OriginalURL:     pageURL,
		Focus:           focus,
		EnableFallback:  true,
		ExcludeComments: true,
		HtmlDateMode:    trafilatura.Disabled,
	}
	if read != nil {
		opts.FallbackCandidates = &trafilatura.FallbackCandidates{Readability: read}
	}
	r, err := trafilatura.ExtractDocument(doc, opts)
	if err != nil || r == nil {
		return nil
	}
	b := &body{extractor: Trafilatura.String(), title: r.Metadata.Title, byline: r.Metadata.Author, siteName: r.Metadata.Sitename}
	if r.ContentNode != nil {
		b.paras = renderText(r.ContentNode, true)
	}
	return b
}

// extractBody runs the selected algorithm; chosen is the body whose text is
// kept (nil if none found any), others are the remaining candidates.
func extractBody(doc *html.Node, pageURL *url.URL, which Extractor) (chosen *body, others []*body) {
	switch which {
	case Readability:
		b, _ := runReadability(doc, pageURL)
		return b, nil
	case Trafilatura:
		return runTrafilatura(doc, pageURL, nil, trafilatura.FavorPrecision), nil
	}
	read, readNode := runReadability(doc, pageURL)
	// The agreement with readability supplies precision, so trafilatura
	// runs balanced here rather than favouring precision.
	traf := runTrafilatura(doc, pageURL, readNode, trafilatura.Balanced)
	chosen, others = combine(traf, read)
	if chosen != nil {
		var titles []string
		for _, b := range []*body{traf, read} {
			if b != nil {
				titles = append(titles, b.title)
			}
		}
		c := *chosen
		c.paras = clean(c.paras, collectTexts(doc, titles...))
		chosen = &c
	}
	return chosen, others
}
