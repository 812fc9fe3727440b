package shingle

import (
	"reflect"
	"testing"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ,.! ", nil},
		{"Hello, world!", []string{"Hello", "world"}},
		{"snake_case x2 3.14", []string{"snake_case", "x2", "3", "14"}},
		{"Привет, мир — 안녕 세계", []string{"Привет", "мир", "안녕", "세계"}},
		{"it's <b>bold</b>", []string{"it", "s", "b", "bold", "b"}},
		{"Ⅻ ½ ٣", []string{"Ⅻ", "½", "٣"}}, // letter-numbers and other numbers are \p{N}
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOf(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]int
	}{
		{"", map[string]int{}},
		{"one", map[string]int{"one": 1}},
		{"one two three", map[string]int{"one two three": 1}},
		{"a b c d", map[string]int{"a b c d": 1}},
		{"a b c d e", map[string]int{"a b c d": 1, "b c d e": 1}},
		{"a b c d a b c d", map[string]int{"a b c d": 2, "b c d a": 1, "c d a b": 1, "d a b c": 1}},
	}
	for _, tt := range tests {
		if got := Of(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Of(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
