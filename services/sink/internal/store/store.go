// Package store defines where the sink keeps enriched articles: a small
// interface with a PostgreSQL implementation (package postgres) and an
// embedded SQLite one (package sqlite) that pass one test suite (package
// storetest).
//
// A store holds the latest enrichment of every article. Writes are keyed by
// the article ID and ordered by (EnrichedAt, EnricherVersion): an enrichment
// replaces the stored one when it is not older, so replaying a batch, or
// delivering it twice, leaves the same state.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
)

// Store keeps enriched articles. Implementations are safe for concurrent use.
//
// Times are kept to the microsecond and returned in UTC.
type Store interface {
	// Upsert writes a batch in one transaction: all of it or none of it.
	// (When the connection fails during the commit, an error may be
	// returned for a batch that was written; writing it again is harmless.)
	// For each article ID the stored enrichment becomes the newest of the
	// stored one and those in the batch, ordered by EnrichedAt, then
	// EnricherVersion; on a tie the incoming one wins, the later in the batch
	// first. Replacing an enrichment replaces the article's entities and
	// stances. An empty batch writes nothing.
	//
	// An error for which IsTransient is false is permanent: when one article
	// is at fault, the error is an *ArticleError naming it, and the other
	// articles may be written without it.
	Upsert(ctx context.Context, batch []events.EnrichedArticle) error
	// Get returns the stored enrichment of an article, as it went in, or an
	// error wrapping ErrNotFound.
	Get(ctx context.Context, articleID string) (events.EnrichedArticle, error)
	// Count returns the number of stored articles.
	Count(ctx context.Context) (int, error)
	// IDs returns the IDs of all stored articles in ascending order. It reads
	// the whole table: it is meant for tests and tools, not for the hot path.
	IDs(ctx context.Context) ([]string, error)
	// Stats returns the number of rows of each content table.
	Stats(ctx context.Context) (Stats, error)
	// Ping reports whether the store can be reached now.
	Ping(ctx context.Context) error
	// Close releases the store's connections. Calls in flight may fail.
	Close() error
}

// Stats counts the rows of the content tables.
type Stats struct {
	Articles int `json:"articles"`
	Entities int `json:"entities"`
	// Mentions counts (article, entity) pairs.
	Mentions int `json:"mentions"`
	Stances  int `json:"stances"`
	// LastEnrichedAt is the newest EnrichedAt stored; zero when empty.
	LastEnrichedAt time.Time `json:"last_enriched_at"`
}

var (
	// ErrNotFound reports that no article has the ID asked for.
	ErrNotFound = errors.New("store: article not found")
	// ErrRejected reports data that the store refuses to keep. Retrying the
	// same data fails the same way.
	ErrRejected = errors.New("store: article rejected")
	// ErrUnavailable reports a failure of the store, not of the data: the
	// connection was refused or lost, the server is overloaded or shutting
	// down, the transaction lost a deadlock or a serialization conflict, or
	// the database is locked. The same write may succeed later.
	ErrUnavailable = errors.New("store: unavailable")
)

// IsTransient reports whether err may go away when the same call is retried
// later: the store was unavailable, or the context ended. A sink should
// retry a transient failure with a delay and set aside the data of a
// permanent one.
func IsTransient(err error) bool {
	return errors.Is(err, ErrUnavailable) ||
		errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}

// ArticleError reports the article of a batch that made Upsert fail.
type ArticleError struct {
	// Index is the article's position in the batch given to Upsert.
	Index int
	// ID is the article's ID.
	ID  string
	Err error
}

func (e *ArticleError) Error() string {
	return fmt.Sprintf("article %d (%s): %v", e.Index, e.ID, e.Err)
}

func (e *ArticleError) Unwrap() error { return e.Err }
