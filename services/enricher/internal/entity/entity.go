// Package entity turns recognised name spans into the entities of an
// article: mentions of one entity merged, a canonical name, a stable key,
// gazetteer links and a salience.
package entity

// Mention is one occurrence of an entity in a document.
type Mention struct {
	// First and Limit index text.Document.Tokens.
	First, Limit int
	// Start and End are byte offsets into text.Document.Text.
	Start, End int
	// Sentence indexes text.Document.Sentences.
	Sentence int
}

// Entity is one person, organisation, place or other name of a document.
type Entity struct {
	Key  string // events.EntityKey(Type, Name)
	Name string // canonical name
	Type string // events.TypePerson, ...
	// Kind and Country are set for places linked to the gazetteer
	// (events.PlaceCountry, ...; ISO 3166-1 alpha-2).
	Kind, Country string
	Mentions      []Mention
	Salience      float64
}
