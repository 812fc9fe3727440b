package events

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed schema/*.json
var schemaFiles embed.FS

// SchemaBaseURL is the base of the schema URLs that events carry in their
// ce-dataschema header; a schema's $id is SchemaBaseURL plus its file name.
const SchemaBaseURL = "https://newsflow.dev/schema/"

// SchemaNames lists the JSON Schema (draft 2020-12) files of the contract:
// raw-article.v1.json, enriched-article.v1.json and mention.v1.json. The
// enriched and mention schemas refer to the others by $id, so a validator
// needs all of them loaded.
func SchemaNames() []string {
	entries, _ := fs.ReadDir(schemaFiles, "schema") // embedded: cannot fail
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Schema returns the JSON Schema file with the given name, such as
// "enriched-article.v1.json", or named by the URL in an event's
// ce-dataschema header. An unknown name gives an error wrapping
// fs.ErrNotExist.
func Schema(name string) ([]byte, error) {
	base := strings.TrimPrefix(name, SchemaBaseURL)
	if base == "" || strings.Contains(base, "/") || path.Ext(base) != ".json" {
		return nil, fmt.Errorf("events: schema %q: %w", name, fs.ErrNotExist)
	}
	b, err := schemaFiles.ReadFile("schema/" + base)
	if err != nil {
		return nil, fmt.Errorf("events: schema %q: %w", name, fs.ErrNotExist)
	}
	return b, nil
}

// DataSchema is the schema URL of an event type (one of the Type
// constants), the value of its ce-dataschema header; "" for an unknown type.
func DataSchema(eventType string) string { return schemaURL(eventType) }
