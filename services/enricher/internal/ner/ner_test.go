package ner

import (
	"reflect"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

func TestIOB2RoundTrip(t *testing.T) {
	spans := []Span{
		{0, 2, events.TypePerson},
		{2, 3, events.TypeLocation},
		{4, 7, events.TypeOrganization},
		{7, 8, events.TypeOrganization},
	}
	tags := SpansToIOB2(spans, 9)
	want := []string{"B-PER", "I-PER", "B-LOC", "O", "B-ORG", "I-ORG", "I-ORG", "B-ORG", "O"}
	if !reflect.DeepEqual(tags, want) {
		t.Fatalf("SpansToIOB2 = %q, want %q", tags, want)
	}
	if !WellFormedIOB2(tags) {
		t.Errorf("WellFormedIOB2(%q) = false", tags)
	}
	if got := IOB2ToSpans(tags); !reflect.DeepEqual(got, spans) {
		t.Errorf("IOB2ToSpans = %v, want %v", got, spans)
	}
}

func TestIOB2ToSpansLenient(t *testing.T) {
	tests := []struct {
		tags []string
		want []Span
	}{
		{[]string{"I-PER", "I-PER", "O"}, []Span{{0, 2, events.TypePerson}}},
		{[]string{"B-PER", "I-LOC"}, []Span{{0, 1, events.TypePerson}, {1, 2, events.TypeLocation}}},
		{[]string{"O", "B-XYZ", "I-MISC"}, []Span{{2, 3, events.TypeMisc}}},
		{nil, nil},
	}
	for _, tt := range tests {
		if got := IOB2ToSpans(tt.tags); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("IOB2ToSpans(%q) = %v, want %v", tt.tags, got, tt.want)
		}
	}
}

func TestWellFormedIOB2(t *testing.T) {
	tests := []struct {
		tags []string
		ok   bool
	}{
		{[]string{"O", "B-PER", "I-PER", "B-PER"}, true},
		{[]string{"I-PER"}, false},
		{[]string{"B-PER", "I-LOC"}, false},
		{[]string{"O", "I-ORG"}, false},
		{[]string{"B-FOO"}, false},
		{[]string{"X-PER"}, false},
		{nil, true},
	}
	for _, tt := range tests {
		if got := WellFormedIOB2(tt.tags); got != tt.ok {
			t.Errorf("WellFormedIOB2(%q) = %v, want %v", tt.tags, got, tt.ok)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, typ := range events.EntityTypes {
		if got := TypeOfLabel(LabelOfType(typ)); got != typ {
			t.Errorf("TypeOfLabel(LabelOfType(%s)) = %s", typ, got)
		}
	}
	if TypeOfLabel("DATE") != "" || LabelOfType("date") != "" {
		t.Error("unknown labels and types must map to empty")
	}
}
