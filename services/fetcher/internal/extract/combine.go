package extract

import (
	"strings"

	"github.com/newsflow/newsflow/services/fetcher/internal/extract/shingle"
)

// Thresholds of the combination; see combine.
const (
	// minAgreement is the share of trafilatura's shingles that readability
	// must also have for the two to be taken as describing the same article.
	minAgreement = 0.6
	// minParaSupport is the share of a paragraph's shingles readability must
	// have for the paragraph to be kept.
	minParaSupport = 0.5
	// minInteriorTokens is the length from which an unsupported paragraph
	// between two supported ones is kept anyway: readability may drop a
	// long paragraph inside the article, while what it alone lacks there
	// and is short is a heading, a callout or a caption.
	minInteriorTokens = 25
)

// combine keeps the text both extractors agree on. Trafilatura's paragraphs
// are the base (it is the more precise of the two); when readability found
// essentially the same article, trafilatura's paragraphs that readability
// does not have are dropped, except long ones inside the article: they are
// most often a headline, a teaser, a newsletter box or a list of related
// stories that only one algorithm let through. When the two disagree on
// what the article is, or one found nothing, the other is kept as is.
func combine(traf, read *body) (*body, []*body) {
	switch {
	case traf == nil || len(traf.paras) == 0:
		return read, []*body{traf}
	case read == nil || len(read.paras) == 0:
		return traf, []*body{read}
	}
	readText := strings.Join(read.paras, "\n\n")
	readShingles := shingle.Of(readText)
	if containment(shingle.Of(strings.Join(traf.paras, "\n\n")), readShingles) < minAgreement {
		return traf, []*body{read}
	}
	readTokens := " " + strings.Join(shingle.Tokens(readText), " ") + " "
	sup := make([]bool, len(traf.paras))
	first, last := -1, -1
	for i, p := range traf.paras {
		if sup[i] = supported(p, readShingles, readTokens); sup[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	kept := make([]string, 0, len(traf.paras))
	for i, p := range traf.paras {
		interior := i > first && i < last
		if sup[i] || interior && len(shingle.Tokens(p)) >= minInteriorTokens {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return traf, []*body{read}
	}
	out := *traf
	out.extractor = Combined.String()
	out.paras = kept
	return &out, []*body{traf, read}
}

// containment is the share of a's shingles (with repeats) also in b.
func containment(a, b map[string]int) float64 {
	var both, total int
	for k, n := range a {
		total += n
		both += min(n, b[k])
	}
	if total == 0 {
		return 0
	}
	return float64(both) / float64(total)
}

// supported reports whether the other extractor's text has paragraph p:
// most of p's shingles for a paragraph of ShingleSize tokens or more, the
// exact token run for a shorter one.
func supported(p string, shingles map[string]int, tokens string) bool {
	toks := shingle.Tokens(p)
	if len(toks) == 0 {
		return true
	}
	if len(toks) < shingle.Size {
		return strings.Contains(tokens, " "+strings.Join(toks, " ")+" ")
	}
	own := shingle.Of(p)
	var hit int
	for k := range own {
		if shingles[k] > 0 {
			hit++
		}
	}
	return float64(hit) >= minParaSupport*float64(len(own))
}
