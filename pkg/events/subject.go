package events

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Stream names. Each stream holds one family of subjects.
const (
	StreamRaw      = "NEWS_RAW"      // news.raw.>
	StreamEnriched = "NEWS_ENRICHED" // news.enriched.>
	StreamMentions = "NEWS_MENTIONS" // news.mentions.>
	StreamDLQ      = "NEWS_DLQ"      // news.dlq.>
)

// Subject wildcards of the streams.
const (
	SubjectRawAll      = "news.raw.>"
	SubjectEnrichedAll = "news.enriched.>"
	SubjectMentionsAll = "news.mentions.>"
	SubjectDLQAll      = "news.dlq.>"
)

// RawSubject is where raw articles of a source are published.
func RawSubject(source string) string { return "news.raw." + Token(source) }

// EnrichedSubject is where enriched articles of a source are published.
func EnrichedSubject(source string) string { return "news.enriched." + Token(source) }

// MentionSubject is where mentions of one entity are published:
// news.mentions.<type>.<slug>, for example news.mentions.location.russia.
// key is an entity key as made by EntityKey.
func MentionSubject(entityType, key string) string {
	_, slug, ok := strings.Cut(key, ":")
	if !ok {
		slug = key
	}
	return "news.mentions." + Token(entityType) + "." + Token(slug)
}

// DLQSubject is where a stage puts messages it cannot process.
func DLQSubject(stage string) string { return "news.dlq." + Token(stage) }

// Token makes s safe as one subject token: '.', '*', '>', white space and
// control characters become '_' (so a token never splits or becomes a
// wildcard), bytes that are not UTF-8 become U+FFFD, and an empty token
// becomes "_".
func Token(s string) string {
	if s == "" {
		return "_"
	}
	clean := utf8.ValidString(s)
	for _, r := range s {
		if badTokenRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if badTokenRune(r) {
			return '_'
		}
		return r
	}, s)
}

func badTokenRune(r rune) bool {
	return r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
}

// Slug folds a name to lower-case ASCII letters and digits joined by '-':
// "Sergey Lavrov" -> "sergey-lavrov", "Türkiye" -> "turkiye",
// "U.S." -> "u-s". Letters without an ASCII form are kept as they are.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\'' || r == '’':
			continue // "Ladens's" -> "ladenss", "O'Brien" -> "obrien"
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
	}
	return b.String()
}

// EntityKey is the stable key of an entity: "<type>:<slug>".
func EntityKey(entityType, canonicalName string) string {
	return entityType + ":" + Slug(canonicalName)
}

// PhraseKey is the holder key of a stance whose holder is a phrase, not a
// named entity ("10 regional powers"): "phrase:<slug>".
func PhraseKey(phrase string) string { return "phrase:" + Slug(phrase) }
