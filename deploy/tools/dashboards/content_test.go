package dashboards

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The content dashboard's SQL is the SQL docs/decisions/0003-storage.md
// documents, which the sink's PostgreSQL tests run against real tables
// with their indexes: the three must not drift apart.
func TestContentQueriesAreTheDocumentedOnes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "decisions", "0003-storage.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"ArticlesPerSource": ArticlesPerSource, "TopEntities": TopEntities, "EntitySentiment": EntitySentiment,
		"StanceTowardEntity": StanceTowardEntity, "HoldersOfEntity": HoldersOfEntity,
	} {
		if !strings.Contains(string(doc), q) {
			t.Errorf("%s is not the query decision 0003 documents (and the sink's tests run)", name)
		}
	}
}
