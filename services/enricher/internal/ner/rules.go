package ner

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Rules is a recogniser made of gazetteer lookups and capitalisation rules.
// It needs no training and is much less accurate than a trained Model; it is
// kept as a baseline and as a fallback.
type Rules struct {
	gz *gazetteer.Gazetteer
}

// NewRules returns a rule-based recogniser over gz.
func NewRules(gz *gazetteer.Gazetteer) *Rules { return &Rules{gz: gz} }

// Recognize implements Recognizer.
func (r *Rules) Recognize(d *text.Document) []Span {
	words := make([]string, len(d.Tokens))
	for i, t := range d.Tokens {
		words[i] = t.Text
	}
	m := r.gz.Matcher(words)
	// Names seen capitalised inside a sentence; a sentence's first word
	// counts as a name only when it is also seen there or is in the
	// gazetteer.
	inner := map[string]bool{}
	for _, s := range d.Sentences {
		for i := s.First; i < s.Limit; i++ {
			if !initial(d, s, i) && capitalised(words[i]) {
				inner[words[i]] = true
			}
		}
	}
	var spans []Span
	var pending []Span // capitalised runs whose type depends on the whole document
	for _, s := range d.Sentences {
		for i := s.First; i < s.Limit; {
			if n, c := m.Longest(i); n > 0 && i+n <= s.Limit && hasUpper(words[i]) && !headOfLonger(words, i+n, s.Limit) {
				// A small town's name is taken only alone, mid-sentence and
				// not in capitals: "Central Asia", "UN" and "Of" are not towns.
				weak := initial(d, s, i) || !capitalised(words[i]) || isAcronym(words[i]) ||
					(i+n < s.Limit && capitalised(words[i+n]))
				if typ := gazetteerType(c, weak); typ != "" {
					spans = append(spans, Span{First: i, Limit: i + n, Type: typ})
					i += n
					continue
				}
			}
			if !capitalised(words[i]) || skipWords[strings.ToLower(words[i])] {
				i++
				continue
			}
			j := i + 1
			for j < s.Limit {
				if capitalised(words[j]) && !skipWords[strings.ToLower(words[j])] {
					if r.knownAt(m, j) && !titleWords[strings.ToLower(words[j])] {
						break // a known name starts here
					}
					j++
					continue
				}
				if connectors[words[j]] && j+1 < s.Limit && capitalised(words[j+1]) && (!r.knownAt(m, j+1) || headOfLonger(words, j, s.Limit)) {
					j += 2
					continue
				}
				break
			}
			span, ok := r.classifyRun(s, words, i, j)
			if ok {
				if span.Type == "" {
					pending = append(pending, span)
				} else {
					spans = append(spans, span)
				}
			}
			i = j
		}
	}
	// A run that repeats the family name of a person found elsewhere is that
	// person ("Lavrov" after "Sergey Lavrov"); other unknown runs are MISC
	// unless they begin a sentence.
	family := map[string]bool{}
	for _, sp := range spans {
		if sp.Type == events.TypePerson && sp.Limit-sp.First > 1 {
			family[words[sp.Limit-1]] = true
		}
	}
	for _, sp := range pending {
		switch {
		case sp.Limit-sp.First == 1 && family[words[sp.First]]:
			sp.Type = events.TypePerson
		case isInitial(d, sp.First) && sp.Limit-sp.First == 1 && !inner[words[sp.First]]:
			continue
		default:
			sp.Type = events.TypeMisc
		}
		spans = append(spans, sp)
	}
	sortSpans(spans)
	return spans
}

// headOfLonger reports whether the name ending before word j continues
// with "of" and a capitalised word after an organisation or place head:
// "Bank of England", "Gulf of Mexico".
func headOfLonger(words []string, j, limit int) bool {
	if j < 1 || j+1 >= limit || words[j] != "of" || !capitalised(words[j+1]) {
		return false
	}
	h := strings.ToLower(words[j-1])
	return orgHeads[h] || placeHeads[h]
}

// knownAt reports whether a gazetteer name starts at word j.
func (r *Rules) knownAt(m gazetteer.Matcher, j int) bool {
	n, c := m.Longest(j)
	return n > 0 && gazetteerType(c, false) != ""
}

// classifyRun types the capitalised run [i, j). A span with an empty Type
// is decided after the whole document is seen.
func (r *Rules) classifyRun(s text.Sentence, words []string, i, j int) (Span, bool) {
	// Leading titles ("Foreign Minister", "President", "Mr.") introduce a person.
	k := i
	for k < j && titleWords[strings.ToLower(strings.TrimSuffix(words[k], "."))] {
		k++
	}
	if k > i && k < j && titleHeads[strings.ToLower(strings.TrimSuffix(words[k-1], "."))] {
		return Span{First: k, Limit: j, Type: events.TypePerson}, true
	}
	if k == j {
		return Span{}, false // a title alone
	}
	if i > s.First && titleHeads[strings.ToLower(strings.TrimSuffix(words[i-1], "."))] {
		return Span{First: i, Limit: j, Type: events.TypePerson}, true
	}
	last := strings.ToLower(words[j-1])
	for k := i; k+1 < j; k++ {
		if words[k+1] == "of" {
			last = strings.ToLower(words[k]) // "Bank of England": the head
			break
		}
	}
	switch {
	case orgHeads[last]:
		return Span{First: i, Limit: j, Type: events.TypeOrganization}, true
	case placeHeads[last]:
		return Span{First: i, Limit: j, Type: events.TypeLocation}, true
	}
	if j-i >= 2 && j-i <= 4 && r.gz.Classes(words[i])&(gazetteer.FirstName|gazetteer.PersonName) != 0 {
		return Span{First: i, Limit: j, Type: events.TypePerson}, true
	}
	if j-i == 1 && r.gz.Classes(words[i])&(gazetteer.Person|gazetteer.LastName) != 0 {
		return Span{First: i, Limit: j, Type: events.TypePerson}, true
	}
	if i > s.First && strings.EqualFold(words[i-1], "the") {
		return Span{First: i, Limit: j, Type: events.TypeOrganization}, true
	}
	if j-i == 1 && isAcronym(words[i]) {
		return Span{First: i, Limit: j, Type: events.TypeOrganization}, true
	}
	return Span{First: i, Limit: j}, true
}

// gazetteerType is the entity type of a gazetteer phrase, or "" when it
// should not be taken as a name (a small city in a weak position).
func gazetteerType(c gazetteer.Class, weak bool) string {
	switch {
	case c&gazetteer.Country != 0:
		return events.TypeLocation
	case c&(gazetteer.Organization|gazetteer.SportsTeam) != 0:
		return events.TypeOrganization
	case c&gazetteer.Person != 0:
		return events.TypePerson
	case c&(gazetteer.BigCity|gazetteer.Region) != 0:
		return events.TypeLocation
	case c&gazetteer.Demonym != 0:
		return events.TypeMisc
	case c&(gazetteer.City|gazetteer.Place) != 0 && !weak:
		return events.TypeLocation
	}
	return ""
}

func initial(d *text.Document, s text.Sentence, i int) bool {
	if i == s.First {
		return true
	}
	switch d.Tokens[i-1].Text {
	case "“", "\"", "‘", "(", ":", "-", "—", "–", "'":
		return true
	}
	return false
}

func isInitial(d *text.Document, i int) bool {
	for _, s := range d.Sentences {
		if i >= s.First && i < s.Limit {
			return initial(d, s, i)
		}
	}
	return false
}

func capitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

func hasUpper(w string) bool {
	for _, r := range w {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			n++
		}
	}
	return n >= 2
}

func sortSpans(s []Span) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].First < s[j-1].First; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// skipWords are capitalised words that are not names on their own: function
// words that start sentences, days and months.
var skipWords = set("the", "a", "an", "on", "in", "at", "of", "for", "to", "by", "with", "from",
	"but", "and", "or", "as", "this", "that", "these", "those", "since", "after", "before",
	"he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "our", "my",
	"there", "here", "if", "when", "while", "what", "who", "which", "no", "yes", "not",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december")

// connectors may join capitalised words into one name ("Bank of England",
// "Osama bin Laden").
var connectors = set("of", "for", "bin", "al", "de", "del", "la", "van", "von", "der", "da", "ibn")

// titleWords may precede a person's name as part of a title.
var titleWords = set("mr", "mrs", "ms", "dr", "prof", "sir", "lord", "lady", "gen", "lt", "col",
	"capt", "sgt", "maj", "adm", "sen", "rep", "gov", "president", "vice", "prime", "minister",
	"foreign", "deputy", "defence", "defense", "interior", "finance", "secretary", "general",
	"state", "chancellor", "king", "queen", "prince", "princess", "pope", "senator", "governor",
	"mayor", "ambassador", "envoy", "spokesman", "spokeswoman", "chairman", "chairwoman",
	"leader", "commander", "premier", "chief", "judge", "justice", "pres", "sheikh", "emir")

// titleHeads end a title that introduces a person.
var titleHeads = set("mr", "mrs", "ms", "dr", "prof", "sir", "lord", "lady", "gen", "lt", "col",
	"capt", "sgt", "maj", "adm", "sen", "rep", "gov", "president", "minister", "secretary",
	"chancellor", "king", "queen", "prince", "princess", "pope", "senator", "governor", "mayor",
	"ambassador", "envoy", "spokesman", "spokeswoman", "chairman", "chairwoman", "leader",
	"commander", "premier", "judge", "pres", "sheikh", "emir")

// orgHeads end organisation names.
var orgHeads = set("ministry", "council", "nations", "bank", "party", "company", "co", "co.",
	"corp", "corp.", "corporation", "inc", "inc.", "ltd", "ltd.", "group", "university",
	"college", "organization", "organisation", "agency", "committee", "union", "association",
	"commission", "court", "army", "navy", "movement", "front", "institute", "parliament",
	"assembly", "federation", "department", "office", "fund", "foundation", "board", "bureau",
	"service", "police", "forces", "airlines", "airways", "club", "league", "alliance",
	"congress", "senate", "government", "administration", "authority", "exchange", "church",
	"brigade", "brigades", "state")

// placeHeads end place names.
var placeHeads = set("province", "region", "river", "mountains", "island", "islands", "sea",
	"ocean", "gulf", "valley", "street", "square", "county", "city", "lake", "bay", "peninsula",
	"desert", "strait", "district", "asia", "africa", "europe", "america")
