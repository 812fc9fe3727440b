// Package gazetteer provides lookups of countries, demonyms, cities and name
// lists (organisations, honorifics, person names), from a compact gazetteer
// embedded in the binary.
//
// The embedded file is generated from ../shared/data/gazetteers by
// `go generate` (or `go run ./services/enricher/internal/gazetteer/gen`); it
// contains data from GeoNames (CC BY 4.0) and MIT-licensed lists credited in
// services/enricher/NOTICE.
package gazetteer

//go:generate go run ./gen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

//go:embed gazetteer.tsv.gz
var compact []byte

// Class is a set of gazetteer lists a word or phrase belongs to.
type Class uint32

// Gazetteer lists. A phrase may belong to several.
const (
	Country      Class = 1 << iota // country name or alias ("Russia", "U.S.")
	Capital                        // national capital ("Moscow")
	City                           // city of at least 15,000 people
	BigCity                        // capital, or city of at least 500,000 people
	Region                         // region, state or province ("Bavaria")
	Place                          // other place ("Atlantic Ocean")
	Demonym                        // nationality word ("Afghan")
	Organization                   // organisation ("United Nations")
	SportsTeam                     // sports team
	Honorific                      // title before a name ("Mr", "Gen")
	FirstName                      // given name
	LastName                       // family name
	Person                         // full name of a well-known person
	PersonName                     // token of a person name (first or last)
	numClasses   = iota
)

var classNames = [...]string{"country", "capital", "city", "bigcity", "region", "place", "demonym",
	"organization", "sportsteam", "honorific", "firstname", "lastname", "person", "personname"}

// String lists the classes of c, joined by '|'.
func (c Class) String() string {
	var parts []string
	for i := 0; i < numClasses; i++ {
		if c&(1<<i) != 0 {
			parts = append(parts, classNames[i])
		}
	}
	return strings.Join(parts, "|")
}

// CountryInfo is a country or territory with an ISO 3166-1 alpha-2 code.
type CountryInfo struct {
	Code      string // ISO 3166-1 alpha-2, upper case
	Name      string // English short name ("United States")
	Aliases   []string
	Capital   string
	Continent string
}

// CityInfo is a populated place.
type CityInfo struct {
	Name    string
	Country string // ISO 3166-1 alpha-2
	// Feature is the GeoNames feature code: PPLC for a capital, PPLA for
	// a first-order administrative seat, PPL for other places, ...
	Feature    string
	Population int
}

// IsCapital reports whether the city is a national capital.
func (c CityInfo) IsCapital() bool { return c.Feature == "PPLC" }

// Gazetteer answers lookups. It is immutable once loaded and safe for
// concurrent use.
type Gazetteer struct {
	countries []CountryInfo
	byCode    map[string]int
	byName    map[string]int   // normalised name or alias -> countries index
	demonyms  map[string][]int // normalised demonym -> countries indexes
	cities    map[string][]CityInfo
	phrases   map[uint64]Class
	maxWords  int // longest phrase, in normalised words
}

// Load parses the embedded gazetteer.
func Load() (*Gazetteer, error) {
	zr, err := gzip.NewReader(bytes.NewReader(compact))
	if err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	defer zr.Close()
	return Parse(zr)
}

// MustLoad is Load for program start and tests; it panics if the embedded
// gazetteer is corrupt, which is a build error.
func MustLoad() *Gazetteer {
	g, err := Load()
	if err != nil {
		panic(err)
	}
	return g
}

// Parse reads a gazetteer in the uncompressed format written by the gen
// command: one record a line, "<kind>\t<fields>", kinds C (country: iso2,
// name, aliases, capital, continent), D (demonym: iso2, word), T (city: name,
// iso2, feature code, population), L (lexicon: word, tag) and P (person
// name token); lines starting with '#' are comments.
func Parse(r io.Reader) (*Gazetteer, error) {
	g := &Gazetteer{
		byCode:   map[string]int{},
		byName:   map[string]int{},
		demonyms: map[string][]int{},
		cities:   map[string][]CityInfo{},
		phrases:  map[uint64]Class{},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var demonyms [][2]string
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if s == "" || s[0] == '#' {
			continue
		}
		f := strings.Split(s, "\t")
		bad := func(want int) error {
			if len(f) != want {
				return fmt.Errorf("gazetteer: line %d: kind %s has %d fields, want %d", line, f[0], len(f), want)
			}
			return nil
		}
		switch f[0] {
		case "C":
			if err := bad(6); err != nil {
				return nil, err
			}
			c := CountryInfo{Code: strings.ToUpper(f[1]), Name: f[2], Capital: f[4], Continent: f[5]}
			if f[3] != "" {
				c.Aliases = strings.Split(f[3], "|")
			}
			i := len(g.countries)
			g.countries = append(g.countries, c)
			g.byCode[c.Code] = i
			for _, n := range append([]string{c.Name}, c.Aliases...) {
				k := Normalize(n)
				if _, dup := g.byName[k]; !dup {
					g.byName[k] = i
				}
				g.addPhrase(n, Country)
			}
			if c.Capital != "" {
				g.addPhrase(c.Capital, Capital|BigCity|City)
			}
		case "D":
			if err := bad(3); err != nil {
				return nil, err
			}
			demonyms = append(demonyms, [2]string{f[1], f[2]})
			g.addPhrase(f[2], Demonym)
		case "T":
			if err := bad(5); err != nil {
				return nil, err
			}
			pop, err := strconv.Atoi(f[4])
			if err != nil {
				return nil, fmt.Errorf("gazetteer: line %d: population: %w", line, err)
			}
			c := CityInfo{Name: f[1], Country: f[2], Feature: f[3], Population: pop}
			cl := City
			if c.IsCapital() || pop >= 500_000 {
				cl |= BigCity
			}
			if c.IsCapital() {
				cl |= Capital
			}
			names := []string{c.Name}
			// "Washington, D.C." is also "Washington".
			if short, _, ok := strings.Cut(c.Name, ","); ok {
				names = append(names, short)
			}
			for _, n := range names {
				k := Normalize(n)
				g.cities[k] = append(g.cities[k], c)
				g.addPhrase(n, cl)
			}
		case "L":
			if err := bad(3); err != nil {
				return nil, err
			}
			cl, ok := lexiconClass[f[2]]
			if !ok {
				return nil, fmt.Errorf("gazetteer: line %d: unknown lexicon tag %q", line, f[2])
			}
			g.addPhrase(f[1], cl)
		case "P":
			if err := bad(2); err != nil {
				return nil, err
			}
			g.addPhrase(f[1], PersonName)
		default:
			return nil, fmt.Errorf("gazetteer: line %d: unknown record kind %q", line, f[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gazetteer: %w", err)
	}
	for _, d := range demonyms {
		i, ok := g.byCode[strings.ToUpper(d[0])]
		if !ok {
			continue // continents, languages, states: no country
		}
		k := Normalize(d[1])
		if !slices.Contains(g.demonyms[k], i) {
			g.demonyms[k] = append(g.demonyms[k], i)
		}
	}
	for k, cs := range g.cities {
		slices.SortStableFunc(cs, compareCities)
		g.cities[k] = cs
	}
	if len(g.countries) == 0 {
		return nil, fmt.Errorf("gazetteer: no countries")
	}
	return g, nil
}

var lexiconClass = map[string]Class{
	"City": City, "Country": Country, "Region": Region, "Place": Place,
	"Demonym": Demonym, "Organization": Organization, "SportsTeam": SportsTeam,
	"Honorific": Honorific, "FirstName": FirstName, "MaleName": FirstName,
	"FemaleName": FirstName, "LastName": LastName, "Person": Person,
}

// compareCities orders the readings of one name: capitals first, then by
// population, then by country code for a stable order.
func compareCities(a, b CityInfo) int {
	if a.IsCapital() != b.IsCapital() {
		if a.IsCapital() {
			return -1
		}
		return 1
	}
	if a.Population != b.Population {
		if a.Population > b.Population {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Country, b.Country)
}

func (g *Gazetteer) addPhrase(p string, c Class) {
	h, n := PhraseHash(p)
	if n == 0 {
		return
	}
	g.phrases[h] |= c
	g.maxWords = max(g.maxWords, n)
	// Mark every proper prefix so that matching can stop early.
	var hs hasher
	words := 0
	forEachWord(p, func(w string) {
		words++
		if words < n {
			hs.word(w)
			g.phrases[hs.h] |= isPrefix
		}
	})
}

// Countries returns all countries, ordered by code.
func (g *Gazetteer) Countries() []CountryInfo { return g.countries }

// CountryByCode returns the country with ISO 3166-1 alpha-2 code code
// (case-insensitive).
func (g *Gazetteer) CountryByCode(code string) (CountryInfo, bool) {
	i, ok := g.byCode[strings.ToUpper(code)]
	if !ok {
		return CountryInfo{}, false
	}
	return g.countries[i], true
}

// Country returns the country named name or one of its aliases, compared
// after Normalize: "Russia", "the United States", "U.S.", "UK".
func (g *Gazetteer) Country(name string) (CountryInfo, bool) {
	k := Normalize(name)
	if rest, ok := strings.CutPrefix(k, "the "); ok {
		k = rest
	}
	i, ok := g.byName[k]
	if !ok {
		return CountryInfo{}, false
	}
	return g.countries[i], true
}

// CountryByDemonym returns the country of a nationality word ("Afghan" ->
// Afghanistan), when the word names exactly one country.
func (g *Gazetteer) CountryByDemonym(word string) (CountryInfo, bool) {
	is := g.demonyms[Normalize(word)]
	if len(is) != 1 {
		return CountryInfo{}, false
	}
	return g.countries[is[0]], true
}

// City returns the preferred place named name: a national capital first,
// then the most populous.
func (g *Gazetteer) City(name string) (CityInfo, bool) {
	cs := g.cities[Normalize(name)]
	if len(cs) == 0 {
		return CityInfo{}, false
	}
	return cs[0], true
}

// Cities returns every place named name, preferred first (see City).
func (g *Gazetteer) Cities(name string) []CityInfo {
	return slices.Clone(g.cities[Normalize(name)])
}

// Classes returns the lists that contain the phrase p exactly (after
// Normalize).
func (g *Gazetteer) Classes(p string) Class {
	h, n := PhraseHash(p)
	if n == 0 {
		return 0
	}
	return g.phrases[h] &^ isPrefix
}

// MaxWords is the length of the longest phrase, in normalised words.
func (g *Gazetteer) MaxWords() int { return g.maxWords }
