// Package ner finds the names of people, organisations, places and other
// things (CoNLL-2003's PER, ORG, LOC and MISC) in analysed text.
//
// Model is the trained tagger the enricher uses: Load returns the model
// embedded in the binary, Train and Write make a new one (see
// cmd/train-ner). Rules is the rule-based tagger it replaced, kept as a
// baseline. TagCoNLL, ReadCoNLL, Evaluate and EvaluateRecognizer read, tag
// and score CoNLL-2003 files.
package ner

import (
	"strings"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/enricher/internal/text"
)

// Span is a recognised name: tokens [First, Limit) of a text.Document, of
// Type events.TypePerson, TypeOrganization, TypeLocation or TypeMisc.
type Span struct {
	First, Limit int
	Type         string
}

// Recognizer finds names in a document. Spans are ordered by First, do not
// overlap, and never cross a sentence boundary.
type Recognizer interface {
	Recognize(d *text.Document) []Span
}

// CoNLL type labels, as in IOB2 tags ("B-PER").
const (
	LabelPER  = "PER"
	LabelORG  = "ORG"
	LabelLOC  = "LOC"
	LabelMISC = "MISC"
)

// TypeOfLabel maps a CoNLL label (PER, ORG, LOC, MISC) to an event entity
// type, or "" for an unknown label.
func TypeOfLabel(label string) string {
	switch label {
	case LabelPER:
		return events.TypePerson
	case LabelORG:
		return events.TypeOrganization
	case LabelLOC:
		return events.TypeLocation
	case LabelMISC:
		return events.TypeMisc
	}
	return ""
}

// LabelOfType maps an event entity type to its CoNLL label, or "".
func LabelOfType(typ string) string {
	switch typ {
	case events.TypePerson:
		return LabelPER
	case events.TypeOrganization:
		return LabelORG
	case events.TypeLocation:
		return LabelLOC
	case events.TypeMisc:
		return LabelMISC
	}
	return ""
}

// SpansToIOB2 returns the IOB2 tags ("B-PER", "I-PER", "O", ...) of n tokens
// carrying spans.
func SpansToIOB2(spans []Span, n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = "O"
	}
	for _, s := range spans {
		l := LabelOfType(s.Type)
		for i := s.First; i < s.Limit && i < n; i++ {
			if i == s.First {
				tags[i] = "B-" + l
			} else {
				tags[i] = "I-" + l
			}
		}
	}
	return tags
}

// IOB2ToSpans returns the spans of IOB2 tags, read leniently the way
// conlleval does: an I- tag that does not continue a span of its type starts
// one. Tags of unknown types are ignored.
func IOB2ToSpans(tags []string) []Span {
	var out []Span
	cur := -1 // index in out of the open span
	for i, t := range tags {
		prefix, label, _ := strings.Cut(t, "-")
		typ := TypeOfLabel(label)
		switch {
		case typ == "" || (prefix != "B" && prefix != "I"):
			cur = -1
		case prefix == "I" && cur >= 0 && out[cur].Type == typ:
			out[cur].Limit = i + 1
		default:
			out = append(out, Span{First: i, Limit: i + 1, Type: typ})
			cur = len(out) - 1
		}
	}
	return out
}

// WellFormedIOB2 reports whether tags are strict IOB2: each tag is O, B-T or
// I-T for a known type T, and I-T only follows B-T or I-T.
func WellFormedIOB2(tags []string) bool {
	prev := ""
	for _, t := range tags {
		if t == "O" {
			prev = ""
			continue
		}
		prefix, label, ok := strings.Cut(t, "-")
		if !ok || TypeOfLabel(label) == "" {
			return false
		}
		switch prefix {
		case "B":
		case "I":
			if prev != label {
				return false
			}
		default:
			return false
		}
		prev = label
	}
	return true
}
