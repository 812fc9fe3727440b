package events_test

import (
	"errors"
	"io/fs"
	"slices"
	"testing"

	"github.com/segmentio/encoding/json"

	"github.com/newsflow/newsflow/pkg/events"
)

func TestSchemaFiles(t *testing.T) {
	names := events.SchemaNames()
	want := []string{"enriched-article.v1.json", "mention.v1.json", "raw-article.v1.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("SchemaNames() = %v, want %v", names, want)
	}
	// Every event type's ce-dataschema names a shipped schema whose $id is that URL.
	for _, typ := range []string{events.TypeRawArticle, events.TypeEnrichedArticle, events.TypeMention} {
		url := events.DataSchema(typ)
		h := events.Meta{ID: "x", Type: typ}.Header()
		if got := h[events.HeaderDataSchema]; len(got) != 1 || got[0] != url {
			t.Errorf("%s: ce-dataschema header %v, want %q", typ, got, url)
		}
		b, err := events.Schema(url)
		if err != nil {
			t.Fatalf("%s: Schema(%q): %v", typ, url, err)
		}
		var doc struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.ID != url || doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $id %q, $schema %q", typ, doc.ID, doc.Schema)
		}
		byName, err := events.Schema(url[len(events.SchemaBaseURL):])
		if err != nil || string(byName) != string(b) {
			t.Errorf("%s: Schema by file name differs from Schema by URL (%v)", typ, err)
		}
	}
	if got := events.DataSchema("newsflow.other.v1"); got != "" {
		t.Errorf("DataSchema of an unknown type = %q, want empty", got)
	}
	if _, ok := (events.Meta{ID: "x", Type: "newsflow.other.v1"}.Header())[events.HeaderDataSchema]; ok {
		t.Error("an unknown type got a ce-dataschema header")
	}
	for _, bad := range []string{"", "nope.json", "raw-article.v1", "../events/doc.go", "schema/raw-article.v1.json", "https://elsewhere.example/raw-article.v1.json"} {
		if _, err := events.Schema(bad); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Schema(%q) error %v, want fs.ErrNotExist", bad, err)
		}
	}
}

// TestSchemaAcceptsValidEvents: what Validate accepts, encoded, satisfies
// the schema, over many generated events.
func TestSchemaAcceptsValidEvents(t *testing.T) {
	schemas := compileSchemas(t)
	g := newGen(1)
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		raw, enriched, mention := g.raw(), g.enriched(), g.mention()
		for _, c := range []struct {
			schema string
			ev     interface{ Validate() error }
		}{
			{"raw-article.v1.json", &raw},
			{"enriched-article.v1.json", &enriched},
			{"mention.v1.json", &mention},
		} {
			if err := c.ev.Validate(); err != nil {
				t.Fatalf("event %d: the generator made an invalid %s: %v", i, c.schema, err)
			}
			b := mustEncode(t, c.ev)
			if err := validateJSON(schemas[c.schema], b); err != nil {
				t.Fatalf("event %d: Validate accepts it, %s refuses it: %v\n%s", i, c.schema, err, b)
			}
		}
		checkRoundTrip(t, raw, func(b []byte) (any, error) { return events.DecodeRaw(b) })
		checkRoundTrip(t, enriched, func(b []byte) (any, error) { return events.DecodeEnriched(b) })
		checkRoundTrip(t, mention, func(b []byte) (any, error) { return events.DecodeMention(b) })
	}
}

func checkRoundTrip(t *testing.T, v any, decode func([]byte) (any, error)) {
	t.Helper()
	b := mustEncode(t, v)
	got, err := decode(b)
	if err != nil {
		t.Fatalf("decoding an encoded valid %T: %v\n%s", v, err, b)
	}
	if !sameEvent(got, v) {
		t.Fatalf("%T does not survive Encode and decode:\n got %+v\nwant %+v", v, got, v)
	}
}

// TestSchemaRefusesInvalidEvents: every broken rule that JSON Schema can
// express is refused by the schema as well as by Validate; the rules it
// cannot express are listed as gaps, and the schema must accept those (so
// the README's list of gaps stays true).
func TestSchemaRefusesInvalidEvents(t *testing.T) {
	schemas := compileSchemas(t)
	run := func(t *testing.T, schema string, v any, gap, noJSON string) {
		t.Helper()
		if noJSON != "" {
			return
		}
		err := validateJSON(schemas[schema], mustEncode(t, v))
		switch {
		case gap == "" && err == nil:
			t.Errorf("Validate refuses the event, %s accepts it", schema)
		case gap != "" && err != nil:
			t.Errorf("%s refuses an event listed as a gap (%s): update the gap: %v", schema, gap, err)
		}
	}
	for _, c := range rawCases {
		t.Run("raw/"+c.name, func(t *testing.T) {
			a := fixtureRaw(t)
			c.break_(&a)
			run(t, "raw-article.v1.json", a, c.schemaGap, c.noJSON)
			e := fixtureEnriched(t)
			c.break_(&e.Article)
			run(t, "enriched-article.v1.json", e, c.schemaGap, c.noJSON)
		})
	}
	for _, c := range enrichedCases {
		t.Run("enriched/"+c.name, func(t *testing.T) {
			e := fixtureEnriched(t)
			c.break_(&e)
			run(t, "enriched-article.v1.json", e, c.schemaGap, c.noJSON)
		})
	}
	for _, c := range mentionCases {
		t.Run("mention/"+c.name, func(t *testing.T) {
			m := fixtureMention(t)
			c.break_(&m)
			run(t, "mention.v1.json", m, c.schemaGap, c.noJSON)
		})
	}
}

// TestSchemaRefusesMalformedJSON covers what Go types make impossible to
// encode but another producer could send.
func TestSchemaRefusesMalformedJSON(t *testing.T) {
	schemas := compileSchemas(t)
	for _, c := range []struct {
		name, schema, json string
	}{
		{"missing id", "raw-article.v1.json", `{"schema_version":1,"source":"s","source_kind":"feed","title":"","body":"b","fetched_at":"2024-01-02T03:04:05Z","content_hash":"` + hash64 + `"}`},
		{"string schema version", "raw-article.v1.json", `{"schema_version":"1","id":"` + id32 + `","source":"s","source_kind":"feed","title":"","body":"b","fetched_at":"2024-01-02T03:04:05Z","content_hash":"` + hash64 + `"}`},
		{"not a time", "raw-article.v1.json", `{"schema_version":1,"id":"` + id32 + `","source":"s","source_kind":"feed","title":"","body":"b","fetched_at":"yesterday","content_hash":"` + hash64 + `"}`},
		{"zero time", "raw-article.v1.json", `{"schema_version":1,"id":"` + id32 + `","source":"s","source_kind":"feed","title":"","body":"b","fetched_at":"0001-01-01T00:00:00Z","content_hash":"` + hash64 + `"}`},
		{"fractional span start", "mention.v1.json", `{"schema_version":1,"article_id":"` + id32 + `","source":"s","title":"t","enricher_version":"v","enriched_at":"2024-01-02T03:04:05Z","entity":{"key":"misc:x","name":"x","type":"misc","mentions":[{"start":0.5,"end":2,"text":"x"}],"salience":0}}`},
		{"missing entities", "enriched-article.v1.json", `{"schema_version":1,"article":` + minimalRaw + `,"enricher_version":"v","enriched_at":"2024-01-02T03:04:05Z"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := validateJSON(schemas[c.schema], []byte(c.json)); err == nil {
				t.Errorf("%s accepts %s", c.schema, c.json)
			}
		})
	}
	// and the minimal forms are accepted, so the cases above fail for their reason
	if err := validateJSON(schemas["raw-article.v1.json"], []byte(minimalRaw)); err != nil {
		t.Errorf("minimal raw article: %v", err)
	}
	min := `{"schema_version":1,"article":` + minimalRaw + `,"enricher_version":"v","enriched_at":"2024-01-02T03:04:05Z","entities":null}`
	if err := validateJSON(schemas["enriched-article.v1.json"], []byte(min)); err != nil {
		t.Errorf("minimal enriched article: %v", err)
	}
	if _, err := events.DecodeEnriched([]byte(min)); err != nil {
		t.Errorf("minimal enriched article: %v", err)
	}
}

const (
	id32       = "0123456789abcdef0123456789abcdef"
	hash64     = id32 + id32
	minimalRaw = `{"schema_version":1,"id":"` + id32 + `","source":"s","source_kind":"push","title":"","body":"b","fetched_at":"2024-01-02T03:04:05Z","content_hash":"` + hash64 + `"}`
)
