package extract

import (
	"strings"
	"unicode/utf8"

	"github.com/RadhiFadlillah/whatlanggo"
)

// fill sets the article's metadata from the page's declarations first and
// from what the extractors saw second.
func (a *Article) fill(m pageMeta, chosen *body, others []*body) {
	bodies := append([]*body{chosen}, others...)
	pick := func(get func(*body) string) string {
		for _, b := range bodies {
			if b != nil {
				if s := cleanField(get(b)); s != "" {
					return s
				}
			}
		}
		return ""
	}
	a.CanonicalURL = m.canonical
	a.Title = pick(func(b *body) string { return b.title })
	if a.Title == "" {
		a.Title = cleanField(m.title)
	}
	a.Byline = cleanByline(m.byline)
	if a.Byline == "" {
		a.Byline = cleanByline(pick(func(b *body) string { return b.byline }))
	}
	a.SiteName = firstNonEmpty(cleanName(m.siteName), cleanName(pick(func(b *body) string { return b.siteName })))
	a.PublishedAt = m.published
	a.Language = language(a.Text, m.language)
}

// langSampleBytes bounds the text given to language detection, which is
// costly and needs little.
const langSampleBytes = 2048

// language prefers a reliable detection from the text, then the page's
// declaration, then an unreliable detection of a long enough text.
func language(text, declared string) string {
	sample := text
	if len(sample) > langSampleBytes {
		sample = sample[:langSampleBytes]
		for !utf8.ValidString(sample) {
			sample = sample[:len(sample)-1]
		}
	}
	info := whatlanggo.Detect(sample)
	detected := info.Lang.Iso6391()
	if detected != "" && info.IsReliable() {
		return detected
	}
	if declared != "" {
		return declared
	}
	if utf8.RuneCountInString(sample) >= 200 {
		return detected
	}
	return ""
}

// cleanField collapses whitespace and bounds a metadata string.
func cleanField(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 300 {
		return ""
	}
	return s
}

// cleanName drops values that are URLs rather than names.
func cleanName(s string) string {
	s = cleanField(s)
	if strings.Contains(s, "://") {
		return ""
	}
	return s
}

// cleanByline drops "By " prefixes and values that are not names.
func cleanByline(s string) string {
	s = cleanField(s)
	for _, p := range []string{"By ", "by ", "BY "} {
		s = strings.TrimPrefix(s, p)
	}
	if strings.Contains(s, "://") || utf8.RuneCountInString(s) > 150 {
		return ""
	}
	return s
}
