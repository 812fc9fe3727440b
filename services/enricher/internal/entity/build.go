package entity

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Build groups the recognised spans of d into entities.
//
// Mentions of one entity are merged: places linked to the same country or
// city of gz ("the United States", "U.S.", "US"; but "Washington" is the
// city, not the country); a person's family name alone after the full name
// ("Lavrov" after "Sergey Lavrov"); an acronym and the name it abbreviates
// ("UN", "United Nations"); the same name tagged with different types, which
// takes the most frequent type. A demonym ("Afghan") is a misc entity of its
// own, except directly before a noun of the state ("the Afghan
// government"), where it is a mention of the country. A misc name that the
// gazetteer lists only as an organisation becomes an organisation.
//
// The canonical name is the gazetteer's name for linked places, otherwise the
// longest form used in the article. Keys are events.EntityKey(type, name),
// with the country code appended for linked cities ("location:moscow-ru").
// Salience is in [0, 1]: see Salience. Entities are ordered by salience,
// most salient first, then by first mention; each has a non-empty key slug
// and at most events.MaxMentions mentions, as events validation requires.
// gz may be nil: nothing is linked then.
func Build(d *text.Document, spans []ner.Span, gz *gazetteer.Gazetteer) []Entity {
	if len(spans) == 0 {
		return nil
	}
	b := builder{d: d, gz: gz, sentOf: sentenceIndex(d)}
	for _, s := range spans {
		if s, ok := trim(d, s); ok {
			b.add(s)
		}
	}
	b.mergeSameName()
	b.mergeFamilyNames()
	b.mergeAcronyms()
	return b.finish()
}

// trim drops function words that open a span at the start of a sentence
// ("Since Diwali") and spans made only of titles ("Attorney General",
// "CEO"), which taggers trained on older newswire sometimes return.
func trim(d *text.Document, s ner.Span) (ner.Span, bool) {
	for s.First < s.Limit && s.Limit-s.First > 1 && openers[strings.ToLower(d.Tokens[s.First].Text)] {
		s.First++
	}
	for i := s.First; i < s.Limit; i++ {
		w := strings.ToLower(strings.TrimSuffix(d.Tokens[i].Text, "."))
		if !titles[w] && !openers[w] {
			return s, true
		}
	}
	return s, false
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// openers are function words that start sentences, never names.
var openers = set(`the a an and but or so since as at in on of for to from by with after before
	when while if although though because this that these those there here he she it they we i
	you his her its their our my your yes no not however meanwhile yet also then still`)

// titles are words of titles and positions, not names on their own.
var titles = set(`mr mrs ms dr prof sir president vice prime minister foreign deputy secretary
	general attorney chief executive ceo cfo coo cto chairman chairwoman chair director
	governor senator sen rep gov mayor ambassador spokesman spokeswoman spokesperson
	king queen prince princess pope chancellor premier judge justice commander gen lt col
	capt sgt maj adm officer manager founder head leader`)

// group is an entity being built.
type group struct {
	typ, kind, country string
	name               string // canonical name once known (linked), else ""
	linkKey            string // identity of a linked place, "" when unlinked
	mentions           []Mention
	surfaces           []string
	types              []string // type of each mention as recognised
	merged             bool     // folded into another group
}

type builder struct {
	d      *text.Document
	gz     *gazetteer.Gazetteer
	sentOf []int
	groups []*group
	byKey  map[string]*group
}

func sentenceIndex(d *text.Document) []int {
	out := make([]int, len(d.Tokens))
	for si, s := range d.Sentences {
		for i := s.First; i < s.Limit; i++ {
			out[i] = si
		}
	}
	return out
}

func (b *builder) add(s ner.Span) {
	if s.First < 0 || s.Limit > len(b.d.Tokens) || s.First >= s.Limit {
		return
	}
	start, end := b.d.Tokens[s.First].Start, b.d.Tokens[s.Limit-1].End
	surface := b.d.Text[start:end]
	m := Mention{First: s.First, Limit: s.Limit, Start: start, End: end, Sentence: b.sentOf[s.First]}
	g := &group{typ: s.Type}
	b.link(g, s, surface)
	var key string
	if g.linkKey != "" {
		key = "link:" + g.linkKey
	} else {
		key = g.typ + ":" + gazetteer.Normalize(trimArticle(surface))
	}
	if b.byKey == nil {
		b.byKey = map[string]*group{}
	}
	if old, ok := b.byKey[key]; ok {
		g = old
	} else {
		b.byKey[key] = g
		b.groups = append(b.groups, g)
	}
	g.mentions = append(g.mentions, m)
	g.surfaces = append(g.surfaces, surface)
	g.types = append(g.types, s.Type)
}

// stateNouns follow a demonym that stands for its country.
var stateNouns = map[string]bool{
	"government": true, "authorities": true, "officials": true, "forces": true, "troops": true,
	"army": true, "military": true, "embassy": true, "ministry": true, "president": true,
	"leader": true, "leaders": true, "capital": true, "border": true, "territory": true,
	"soil": true, "economy": true, "state": true, "parliament": true, "regime": true,
}

// link sets the gazetteer link of a new group.
func (b *builder) link(g *group, s ner.Span, surface string) {
	if b.gz == nil {
		return
	}
	switch s.Type {
	case events.TypeLocation:
		if c, ok := b.gz.Country(surface); ok {
			g.kind, g.country, g.name, g.linkKey = events.PlaceCountry, c.Code, c.Name, "country:"+c.Code
			return
		}
		cl := b.gz.Classes(surface)
		if c, ok := b.gz.City(surface); ok && (cl&gazetteer.BigCity != 0 || cl&(gazetteer.Region|gazetteer.Place) == 0) {
			g.kind, g.country, g.name = events.PlaceCity, c.Country, c.Name
			g.linkKey = "city:" + c.Country + ":" + gazetteer.Normalize(c.Name)
			return
		}
		if cl&gazetteer.Region != 0 {
			g.kind = events.PlaceRegion
		}
	case events.TypeMisc:
		if s.Limit < len(b.d.Tokens) && stateNouns[strings.ToLower(b.d.Tokens[s.Limit].Text)] {
			if c, ok := b.gz.CountryByDemonym(surface); ok {
				g.typ, g.kind, g.country, g.name, g.linkKey = events.TypeLocation, events.PlaceCountry, c.Code, c.Name, "country:"+c.Code
				return
			}
		}
		// "Other" is the tagger's fallback type; a name the gazetteer
		// knows only as an organisation is one ("the Taliban").
		cl := b.gz.Classes(trimArticle(surface))
		if cl&gazetteer.Organization != 0 && cl&^(gazetteer.Organization|gazetteer.SportsTeam) == 0 {
			g.typ = events.TypeOrganization
		}
	}
}

func trimArticle(s string) string {
	for _, a := range [...]string{"the ", "The ", "THE "} {
		if rest, ok := strings.CutPrefix(s, a); ok {
			return rest
		}
	}
	return s
}

// mergeSameName folds unlinked groups with the same normalised name but
// different types into one, of the most frequent type.
func (b *builder) mergeSameName() {
	byName := map[string][]*group{}
	var order []string
	for _, g := range b.groups {
		if g.linkKey != "" {
			continue
		}
		k := gazetteer.Normalize(trimArticle(g.surfaces[0]))
		if _, ok := byName[k]; !ok {
			order = append(order, k)
		}
		byName[k] = append(byName[k], g)
	}
	for _, k := range order {
		gs := byName[k]
		if len(gs) < 2 {
			continue
		}
		best := gs[0]
		for _, g := range gs[1:] {
			if len(g.mentions) > len(best.mentions) || (len(g.mentions) == len(best.mentions) && best.typ == events.TypeMisc) {
				best = g
			}
		}
		for _, g := range gs {
			if g != best {
				absorb(best, g)
			}
		}
	}
}

// mergeFamilyNames folds a shorter unlinked name into the one person whose
// full name ends with it ("Lavrov" into "Sergey Lavrov").
func (b *builder) mergeFamilyNames() {
	// The normalised words of each group's longest name, computed once per
	// group (the loops below compare every pair of groups).
	words := make(map[*group][]string, len(b.groups))
	wordsOf := func(g *group) []string {
		w, ok := words[g]
		if !ok {
			w = strings.Fields(gazetteer.Normalize(trimArticle(longest(g))))
			words[g] = w
		}
		return w
	}
	for _, short := range b.groups {
		if short.merged || short.linkKey != "" {
			continue
		}
		sw := wordsOf(short)
		if len(sw) == 0 {
			continue
		}
		var target *group
		ambiguous := false
		for _, long := range b.groups {
			if long == short || long.merged || long.typ != events.TypePerson {
				continue
			}
			lw := wordsOf(long)
			if len(lw) <= len(sw) || !slices.Equal(lw[len(lw)-len(sw):], sw) {
				continue
			}
			if target != nil && target != long {
				ambiguous = true
			}
			target = long
		}
		if target != nil && !ambiguous && (short.typ == events.TypePerson || len(sw) == 1) {
			absorb(target, short)
			delete(words, target) // its longest name may have changed
		}
	}
}

// mergeAcronyms folds an all-capitals name into the organisation or misc
// name whose initials it spells ("UN" into "United Nations", "ISKP" into
// "Islamic State in Khorasan Province").
func (b *builder) mergeAcronyms() {
	for _, short := range b.groups {
		if short.merged || short.linkKey != "" || (short.typ != events.TypeOrganization && short.typ != events.TypeMisc) {
			continue
		}
		acr := strings.ReplaceAll(trimArticle(short.surfaces[0]), ".", "")
		if utf8.RuneCountInString(acr) < 2 || strings.ToUpper(acr) != acr || strings.IndexFunc(acr, unicode.IsLetter) < 0 {
			continue
		}
		for _, long := range b.groups {
			if long == short || long.merged || long.linkKey != "" || (long.typ != events.TypeOrganization && long.typ != events.TypeMisc) {
				continue
			}
			if initials(longest(long)) == acr {
				absorb(long, short)
				break
			}
		}
	}
}

// initials returns the first letters of the capitalised words of s.
func initials(s string) string {
	var b strings.Builder
	for w := range strings.FieldsFuncSeq(trimArticle(s), func(r rune) bool { return unicode.IsSpace(r) || r == '-' }) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsUpper(r) {
			b.WriteRune(r)
		}
	}
	if utf8.RuneCountInString(b.String()) < 2 {
		return ""
	}
	return b.String()
}

func absorb(into, g *group) {
	into.mentions = append(into.mentions, g.mentions...)
	into.surfaces = append(into.surfaces, g.surfaces...)
	into.types = append(into.types, g.types...)
	g.merged = true
	g.mentions, g.surfaces, g.types = nil, nil, nil
}

// longest returns the longest surface form, the first one on ties.
func longest(g *group) string {
	best := ""
	for _, s := range g.surfaces {
		if len(s) > len(best) {
			best = s
		}
	}
	return best
}

func (b *builder) finish() []Entity {
	var out []Entity
	maxN := 0
	for _, g := range b.groups {
		if !g.merged {
			maxN = max(maxN, len(g.mentions))
		}
	}
	byKey := map[string]int{}
	for _, g := range b.groups {
		if g.merged {
			continue
		}
		name := g.name
		if name == "" {
			name = strings.TrimSpace(trimArticle(longest(g)))
		}
		if events.Slug(name) == "" {
			continue // no letters or digits to make a key from ("&", "--")
		}
		if !isCountryCode(g.country) {
			g.kind, g.country = "", ""
		}
		key := events.EntityKey(g.typ, name)
		if g.kind == events.PlaceCity {
			key = events.EntityKey(g.typ, name+" "+g.country)
		}
		slices.SortFunc(g.mentions, func(a, b Mention) int { return cmp.Compare(a.Start, b.Start) })
		e := Entity{Key: key, Name: name, Type: g.typ, Kind: g.kind, Country: g.country, Mentions: g.mentions}
		e.Salience = Salience(e.Mentions, maxN, len(b.d.Sentences))
		// Two groups can end with one key (a name tagged twice); keep one.
		if i, ok := byKey[key]; ok {
			out[i].Mentions = append(out[i].Mentions, e.Mentions...)
			slices.SortFunc(out[i].Mentions, func(a, b Mention) int { return cmp.Compare(a.Start, b.Start) })
			out[i].Salience = Salience(out[i].Mentions, maxN, len(b.d.Sentences))
			continue
		}
		byKey[key] = len(out)
		out = append(out, e)
	}
	for i := range out {
		if len(out[i].Mentions) > events.MaxMentions {
			out[i].Mentions = out[i].Mentions[:events.MaxMentions]
		}
	}
	slices.SortStableFunc(out, func(a, b Entity) int {
		if c := cmp.Compare(b.Salience, a.Salience); c != 0 {
			return c
		}
		return cmp.Compare(a.Mentions[0].Start, b.Mentions[0].Start)
	})
	return out
}

func isCountryCode(s string) bool {
	return s == "" || len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// Salience scores how central an entity with mentions is to a document of
// sentences sentences whose most mentioned entity has maxMentions: half
// frequency (log-scaled against maxMentions), three tenths position of the
// first mention (1 in the first sentence, falling linearly to 0 at the end),
// and one fifth for a mention in the title (the first sentence). The result
// is in [0, 1], rounded to three decimals.
func Salience(mentions []Mention, maxMentions, sentences int) float64 {
	if len(mentions) == 0 || sentences <= 0 {
		return 0
	}
	maxMentions = max(maxMentions, len(mentions))
	freq := math.Log1p(float64(len(mentions))) / math.Log1p(float64(maxMentions))
	first := mentions[0].Sentence
	title := 0.0
	for _, m := range mentions {
		first = min(first, m.Sentence)
		if m.Sentence == 0 {
			title = 1
		}
	}
	pos := 1 - float64(first)/float64(sentences)
	s := 0.5*freq + 0.3*pos + 0.2*title
	return math.Round(min(max(s, 0), 1)*1000) / 1000
}
