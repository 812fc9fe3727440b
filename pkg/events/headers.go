package events

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// Header names. Events travel in CloudEvents binary mode: the payload is the
// event data and the CloudEvents attributes are headers.
const (
	HeaderMsgID         = "Nats-Msg-Id" // JetStream de-duplication
	HeaderSpecVersion   = "ce-specversion"
	HeaderID            = "ce-id"
	HeaderType          = "ce-type"
	HeaderSource        = "ce-source"
	HeaderTime          = "ce-time"
	HeaderDataSchema    = "ce-dataschema"
	HeaderContentType   = "content-type"
	HeaderTraceparent   = "traceparent" // W3C Trace Context
	CloudEventsVersion  = "1.0"
	ContentTypeJSON     = "application/json"
	TypeRawArticle      = "newsflow.article.raw.v1"
	TypeEnrichedArticle = "newsflow.article.enriched.v1"
	TypeMention         = "newsflow.mention.v1"
)

// Meta is the envelope of one event: what goes into its headers.
type Meta struct {
	// ID is both the CloudEvents id and the Nats-Msg-Id.
	ID string
	// Type is one of the Type constants.
	Type string
	// Source is a URI reference naming the producer, such as
	// "/newsflow/fetcher/reuters".
	Source      string
	Time        time.Time
	Traceparent string
}

// Header returns the headers of an event; it converts to nats.Header.
func (m Meta) Header() map[string][]string {
	h := map[string][]string{
		HeaderMsgID:       {m.ID},
		HeaderSpecVersion: {CloudEventsVersion},
		HeaderID:          {m.ID},
		HeaderType:        {m.Type},
		HeaderSource:      {m.Source},
		HeaderTime:        {m.Time.UTC().Format(time.RFC3339Nano)},
		HeaderContentType: {ContentTypeJSON},
	}
	if schema := schemaURL(m.Type); schema != "" {
		h[HeaderDataSchema] = []string{schema}
	}
	if m.Traceparent != "" {
		h[HeaderTraceparent] = []string{m.Traceparent}
	}
	return h
}

// ParseMeta reads the envelope back from headers. Missing headers stay empty.
func ParseMeta(h map[string][]string) Meta {
	m := Meta{
		ID:          first(h, HeaderID),
		Type:        first(h, HeaderType),
		Source:      first(h, HeaderSource),
		Traceparent: first(h, HeaderTraceparent),
	}
	if m.ID == "" {
		m.ID = first(h, HeaderMsgID)
	}
	if t, err := time.Parse(time.RFC3339Nano, first(h, HeaderTime)); err == nil {
		m.Time = t
	}
	return m
}

func first(h map[string][]string, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// schemaURL names the files of the schema folder, available from Schema.
func schemaURL(typ string) string {
	switch typ {
	case TypeRawArticle:
		return SchemaBaseURL + "raw-article.v1.json"
	case TypeEnrichedArticle:
		return SchemaBaseURL + "enriched-article.v1.json"
	case TypeMention:
		return SchemaBaseURL + "mention.v1.json"
	}
	return ""
}

// NewTraceparent starts a trace: a W3C traceparent with a random trace ID
// and span ID, sampled.
func NewTraceparent() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// ChildTraceparent continues the trace of parent with a new span ID. An
// absent or malformed parent starts a new trace.
func ChildTraceparent(parent string) string {
	traceID, _, flags, ok := ParseTraceparent(parent)
	if !ok {
		return NewTraceparent()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "00-" + traceID + "-" + hex.EncodeToString(b[:]) + "-" + flags
}

// ParseTraceparent splits a version-00 traceparent into its trace ID, parent
// span ID and flags, and reports whether it is well formed.
func ParseTraceparent(s string) (traceID, spanID, flags string, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 4 || parts[0] != "00" || !isHex(parts[1], 32) || !isHex(parts[2], 16) || !isHex(parts[3], 2) {
		return "", "", "", false
	}
	if parts[1] == strings.Repeat("0", 32) || parts[2] == strings.Repeat("0", 16) {
		return "", "", "", false
	}
	return parts[1], parts[2], parts[3], true
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
