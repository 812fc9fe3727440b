// Package events is newsflow's event contract, version 1: the payloads that
// travel between the stages and to downstream consumers, their subjects,
// identifiers, headers, encoding and validation.
//
// A downstream consumer needs only this package:
//
//	msg, _ := it.Next()
//	art, err := events.DecodeEnriched(msg.Data())
//	if err != nil {
//		// poison: the payload is not a valid v1 enriched article
//	}
//
// Payloads are JSON encoded with github.com/segmentio/encoding/json. Every
// payload carries schema_version; fields are added over time but never change
// meaning, and a breaking change gets a new version. JSON Schema files for
// consumers in other languages are in the schema folder and available from
// [Schema].
//
// Offsets (Span.Start, Span.End) count Unicode code points of the article
// body, start inclusive and end exclusive, the way Python, Java and
// JavaScript strings outside the astral planes index text.
package events
