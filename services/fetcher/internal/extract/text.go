package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockTags start and end a paragraph of rendered text.
var blockTags = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Caption: true, atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hgroup: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true,
	atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Ul: true, atom.Body: true, atom.Html: true,
	atom.Center: true, atom.Legend: true, atom.Menu: true,
}

// skipTags hold no readable text.
var skipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Head: true, atom.Select: true, atom.Option: true, atom.Button: true, atom.Input: true,
	atom.Textarea: true, atom.Canvas: true, atom.Video: true, atom.Audio: true, atom.Picture: true,
	atom.Img: true,
}

// renderText returns the readable text under n: one paragraph per block
// element, paragraphs separated by "\n\n", whitespace inside a paragraph
// collapsed (except in <pre>), <br> kept as "\n".
//
// With trimmed set, the tree's text nodes are taken to have lost their
// surrounding whitespace (as trafilatura's output has), and element
// boundaries separate words.
func renderText(n *html.Node, trimmed bool) []string {
	r := &textRenderer{trimmed: trimmed}
	r.walk(n, false)
	r.flush()
	return r.paras
}

type textRenderer struct {
	paras []string
	cur   strings.Builder
	// space records a pending collapsed whitespace run.
	space   bool
	trimmed bool
}

func (r *textRenderer) flush() {
	p := strings.TrimSpace(r.cur.String())
	r.cur.Reset()
	r.space = false
	if p != "" {
		// Trim trailing spaces on each line left by <br>.
		lines := strings.Split(p, "\n")
		out := lines[:0]
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		r.paras = append(r.paras, strings.Join(out, "\n"))
	}
}

func (r *textRenderer) text(s string, pre bool) {
	if pre {
		r.cur.WriteString(s)
		return
	}
	for len(s) > 0 {
		c, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if unicode.IsSpace(c) || c == '\u200b' {
			r.space = true
			continue
		}
		if r.space {
			if r.cur.Len() > 0 && !strings.HasSuffix(r.cur.String(), "\n") {
				r.cur.WriteByte(' ')
			}
			r.space = false
		}
		r.cur.WriteRune(c)
	}
}

func (r *textRenderer) walk(n *html.Node, pre bool) {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data, pre)
		return
	case html.CommentNode, html.DoctypeNode:
		return
	case html.ElementNode:
		if skipTags[n.DataAtom] {
			return
		}
		switch n.DataAtom {
		case atom.Br:
			r.cur.WriteByte('\n')
			r.space = false
			return
		case atom.Td, atom.Th:
			r.space = true
		}
	}
	block := n.Type == html.ElementNode && (blockTags[n.DataAtom] || n.DataAtom == 0 && isBlockName(n.Data))
	if block {
		r.flush()
	}
	isPre := pre || n.DataAtom == atom.Pre
	if r.trimmed && n.Type == html.ElementNode {
		r.space = true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.walk(c, isPre)
	}
	if r.trimmed && n.Type == html.ElementNode {
		r.space = true
	}
	if block {
		r.flush()
	}
}

// isBlockName reports element names without an atom that extractors use as
// blocks (trafilatura's TEI-like output).
func isBlockName(name string) bool {
	switch name {
	case "list", "item", "quote", "row", "lb":
		return true
	}
	return false
}
