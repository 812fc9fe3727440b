package events

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
)

// Errors of decoding. Every decode error wraps exactly one of them, and all
// of them mean the payload will never decode: a stage treats them as poison.
var (
	// ErrDecode: the payload is not JSON of the expected shape (including
	// one without schema_version), or not UTF-8.
	ErrDecode = errors.New("events: undecodable payload")
	// ErrSchemaVersion: the payload is of a schema version this package does not know.
	ErrSchemaVersion = errors.New("events: unsupported schema_version")
	// ErrInvalid: the payload decodes but breaks a rule; the error is a *FieldError.
	ErrInvalid = errors.New("events: invalid event")
)

// Encode encodes an event as JSON.
func Encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("events: encode %T: %w", v, err)
	}
	return b, nil
}

// DecodeRaw decodes and validates a raw article.
func DecodeRaw(data []byte) (RawArticle, error) {
	var a RawArticle
	if err := decode(data, &a, &a.SchemaVersion); err != nil {
		return RawArticle{}, err
	}
	return a, a.Validate()
}

// DecodeEnriched decodes and validates an enriched article.
func DecodeEnriched(data []byte) (EnrichedArticle, error) {
	var a EnrichedArticle
	if err := decode(data, &a, &a.SchemaVersion); err != nil {
		return EnrichedArticle{}, err
	}
	return a, a.Validate()
}

// DecodeMention decodes and validates a mention event.
func DecodeMention(data []byte) (MentionEvent, error) {
	var m MentionEvent
	if err := decode(data, &m, &m.SchemaVersion); err != nil {
		return MentionEvent{}, err
	}
	return m, m.Validate()
}

func decode(data []byte, v any, version *int) error {
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: payload is not valid UTF-8", ErrDecode)
	}
	if err := json.Unmarshal(data, v); err != nil {
		// A payload of another version may not even have our shape: say
		// which version it is when we can tell.
		var probe struct {
			SchemaVersion int `json:"schema_version"`
		}
		if json.Unmarshal(data, &probe) == nil && probe.SchemaVersion != SchemaVersion && probe.SchemaVersion != 0 {
			return fmt.Errorf("%w: %d (this consumer knows %d)", ErrSchemaVersion, probe.SchemaVersion, SchemaVersion)
		}
		return fmt.Errorf("%w: %v", ErrDecode, err)
	}
	if *version == 0 {
		return fmt.Errorf("%w: no schema_version", ErrDecode)
	}
	if *version != SchemaVersion {
		return fmt.Errorf("%w: %d (this consumer knows %d)", ErrSchemaVersion, *version, SchemaVersion)
	}
	return nil
}
