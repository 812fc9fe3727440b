package postgres

import (
	"strings"
	"testing"

	"github.com/newsflow/newsflow/services/sink/internal/store/internal/batch"
)

func TestChunks(t *testing.T) {
	item := func(bytes int) batch.Item {
		var it batch.Item
		it.Enriched.Article.Body = strings.Repeat("x", bytes)
		return it
	}
	const m = maxChunkBytes
	tests := []struct {
		name  string
		sizes []int
		want  []int // items per chunk
	}{
		{"empty", nil, []int{0}},
		{"small", []int{10, 20, 30}, []int{3}},
		{"fills exactly", []int{m / 2, m / 2, 1}, []int{2, 1}},
		{"one too big alone", []int{1, m + 1, 1}, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var items []batch.Item
			for _, n := range tt.sizes {
				items = append(items, item(n))
			}
			var got []int
			total := 0
			for _, c := range chunks(items) {
				got = append(got, len(c))
				total += len(c)
			}
			if len(got) != len(tt.want) || total != len(items) {
				t.Fatalf("chunk sizes %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("chunk sizes %v, want %v", got, tt.want)
				}
			}
		})
	}
}
