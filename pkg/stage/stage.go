// Package stage is the runtime every newsflow stage runs on. It owns the
// delivery side: the NATS connection, durable pull consumers, acks,
// retries with delay, the dead-letter queue, publishing with
// de-duplication, metrics, health endpoints, logs and graceful shutdown. A
// stage keeps only its domain logic, a plain function from one message to
// the messages it produces (Handler), or from a batch to one outcome per
// message (BatchHandler).
//
// The delivery rules:
//
//   - A message is acked only after what it produced is durable: every
//     output's publish was acknowledged by JetStream (Handler), or the
//     handler returned nil, meaning it committed (BatchHandler).
//   - A poison message (undecodable, invalid, too large, or an error wrapped
//     with Poison) is published to news.dlq.<stage> with the reason in
//     headers, then terminated. Errors wrapping events.ErrDecode,
//     events.ErrSchemaVersion and events.ErrInvalid are poison.
//   - Any other error is transient: the message is redelivered after a
//     delay that grows with each attempt; on its last allowed delivery it
//     goes to the dead-letter queue instead. If a stage dies holding it, the
//     server's MAX_DELIVERIES advisory sends it there too.
//   - On shutdown the stage stops pulling, finishes what it holds (within
//     the drain timeout) and drains its connection.
package stage

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/events"
)

// Message is one JetStream message handed to a handler.
type Message struct {
	Subject string
	Header  nats.Header
	Data    []byte
	// Stream and StreamSeq locate the message in its stream.
	Stream    string
	StreamSeq uint64
	// NumDelivered counts deliveries, this one included.
	NumDelivered uint64
	// Published is when the message entered the stream.
	Published time.Time

	raw jetstream.Msg
}

// InProgress tells the server the message is still being worked on, which
// resets its ack timer. The runtime calls it periodically while a handler
// runs; call it yourself only for unusually long steps.
func (m *Message) InProgress() error {
	if m.raw == nil {
		return nil
	}
	return m.raw.InProgress()
}

// Output is a message a handler wants published. Header should carry
// Nats-Msg-Id (events.Meta.Header does) so a retried handler publishes
// nothing twice.
type Output struct {
	Subject string
	Header  nats.Header
	Data    []byte
}

// ErrPoison marks errors that will never succeed on retry.
var ErrPoison = errors.New("poison message")

// ErrTooLarge is the poison reason of messages above the size limit.
var ErrTooLarge = fmt.Errorf("%w: message too large", ErrPoison)

type poisonError struct{ err error }

func (e poisonError) Error() string { return e.err.Error() }
func (e poisonError) Unwrap() []error {
	return []error{e.err, ErrPoison}
}

// Poison marks err as permanent: the message goes to the dead-letter queue
// without retries.
func Poison(err error) error {
	if err == nil {
		return nil
	}
	return poisonError{err: err}
}

// IsPoison reports whether err means the message can never be processed.
func IsPoison(err error) bool {
	return errors.Is(err, ErrPoison) || errors.Is(err, events.ErrDecode) ||
		errors.Is(err, events.ErrSchemaVersion) || errors.Is(err, events.ErrInvalid)
}

// reasonClass gives a bounded label for a dead-letter reason.
func reasonClass(err error) string {
	switch {
	case errors.Is(err, errMaxDeliveries):
		return "max_deliveries"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, events.ErrDecode):
		return "undecodable"
	case errors.Is(err, events.ErrSchemaVersion):
		return "schema_version"
	case errors.Is(err, events.ErrInvalid):
		return "invalid"
	default:
		return "rejected"
	}
}

var errMaxDeliveries = errors.New("gave up after the maximum number of deliveries")

// Dead-letter headers: a message in news.dlq.<stage> keeps its original
// headers and data and gains these.
const (
	HeaderDLQReason     = "Newsflow-Dlq-Reason"
	HeaderDLQClass      = "Newsflow-Dlq-Class"
	HeaderDLQStage      = "Newsflow-Dlq-Stage"
	HeaderDLQSubject    = "Newsflow-Dlq-Subject"
	HeaderDLQStream     = "Newsflow-Dlq-Stream"
	HeaderDLQSequence   = "Newsflow-Dlq-Sequence"
	HeaderDLQDeliveries = "Newsflow-Dlq-Deliveries"
	HeaderDLQTime       = "Newsflow-Dlq-Time"
	HeaderDLQTruncated  = "Newsflow-Dlq-Truncated" // original size, when the data was cut
)
