package events_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/events"
)

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(goldenPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var decoders = map[string]func([]byte) error{
	"raw-article.v1.json":      func(b []byte) error { _, err := events.DecodeRaw(b); return err },
	"enriched-article.v1.json": func(b []byte) error { _, err := events.DecodeEnriched(b); return err },
	"mention.v1.json":          func(b []byte) error { _, err := events.DecodeMention(b); return err },
}

// sentinels are the decode errors; every decode error wraps exactly one.
var sentinels = []error{events.ErrDecode, events.ErrSchemaVersion, events.ErrInvalid}

func checkOneSentinel(t *testing.T, err error) {
	t.Helper()
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("error %v wraps %d of ErrDecode, ErrSchemaVersion, ErrInvalid; want exactly 1", err, n)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, decode := range decoders {
		good := readGolden(t, name)
		version2 := bytes.Replace(good, []byte(`"schema_version": 1`), []byte(`"schema_version": 2`), 1)
		for _, c := range []struct {
			name string
			in   []byte
			want error
		}{
			{"empty", nil, events.ErrDecode},
			{"not JSON", []byte("schema_version=1"), events.ErrDecode},
			{"truncated", good[:len(good)/2], events.ErrDecode},
			{"trailing garbage", append(bytes.Clone(good), "}"...), events.ErrDecode},
			{"array", []byte(`[1, 2]`), events.ErrDecode},
			{"null", []byte(`null`), events.ErrDecode},
			{"empty object", []byte(`{}`), events.ErrDecode},
			{"schema_version as a string", bytes.Replace(good, []byte(`"schema_version": 1`), []byte(`"schema_version": "1"`), 1), events.ErrDecode},
			{"wrong field type", bytes.Replace(good, []byte(`"source": "example-world"`), []byte(`"source": 7`), 1), events.ErrDecode},
			{"invalid UTF-8 in a string", bytes.Replace(good, []byte("Sergey"), []byte("Serg\xffy"), 1), events.ErrDecode},
			{"invalid UTF-8 outside strings", append([]byte{0xc3}, good...), events.ErrDecode},
			{"UTF-16 payload", []byte("\xff\xfe{\x00}\x00"), events.ErrDecode},
			{"version 2", version2, events.ErrSchemaVersion},
			{"version 2 of another shape", []byte(`{"schema_version": 2, "entities": "a new shape", "article": []}`), events.ErrSchemaVersion},
			{"version 0", bytes.Replace(good, []byte(`"schema_version": 1`), []byte(`"schema_version": 0`), 1), events.ErrDecode},
			{"valid JSON, broken rule", bytes.Replace(good, []byte(`"enricher_version": "enricher-0.3.1+gazetteer-2024.10"`), []byte(`"enricher_version": ""`), 1), events.ErrInvalid},
		} {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				if c.want == events.ErrInvalid && name == "raw-article.v1.json" {
					t.Skip("raw articles have no enricher_version")
				}
				err := decode(c.in)
				if !errors.Is(err, c.want) {
					t.Fatalf("error %v, want %v", err, c.want)
				}
				checkOneSentinel(t, err)
				if len(err.Error()) > 600 {
					t.Errorf("error is %d bytes long", len(err.Error()))
				}
			})
		}
	}
}

// TestDecodeIgnoresUnknownFields: producers may add fields within version 1,
// and older consumers must go on decoding.
func TestDecodeIgnoresUnknownFields(t *testing.T) {
	schemas := compileSchemas(t)
	for name, decode := range decoders {
		good := readGolden(t, name)
		added := bytes.Replace(good, []byte("{"), []byte(`{"added_in_a_later_release": {"nested": [1, "x"]}, `), 1)
		if err := decode(added); err != nil {
			t.Errorf("%s with an added field: %v", name, err)
		}
		if err := validateJSON(schemas[name], added); err != nil {
			t.Errorf("%s with an added field does not satisfy its schema: %v", name, err)
		}
	}
}

func TestDecodeAcceptsCompactAndIndented(t *testing.T) {
	for name, decode := range decoders {
		good := readGolden(t, name)
		var compact bytes.Buffer
		for _, line := range strings.Split(string(good), "\n") {
			compact.WriteString(strings.TrimSpace(line))
		}
		if err := decode(compact.Bytes()); err != nil {
			t.Errorf("%s compacted: %v", name, err)
		}
	}
}

func TestEncodeRefusesWhatJSONCannotCarry(t *testing.T) {
	e := fixtureEnriched(t)
	e.Entities[0].Salience = 1 / zero()
	_, err := events.Encode(e)
	if err == nil {
		t.Fatal("Encode of an infinite salience succeeded")
	}
	if !strings.Contains(err.Error(), "EnrichedArticle") {
		t.Errorf("error %q should name the type", err)
	}
}

func zero() float64 { return 0 }
