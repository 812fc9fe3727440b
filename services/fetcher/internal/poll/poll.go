// Package poll turns one poll of a feed, sitemap or page source into raw
// articles: it fetches the source document (conditionally), lists its
// items, skips those already published without fetching them, fetches and
// extracts the page of each new item (falling back to the feed's own
// content when the page fails), and hands the articles to a Publisher.
// Items that keep failing are dead-lettered with the reason.
package poll

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/fetcher/internal/coord"
	"github.com/newsflow/newsflow/services/fetcher/internal/extract"
	"github.com/newsflow/newsflow/services/fetcher/internal/feed"
	"github.com/newsflow/newsflow/services/fetcher/internal/ingest"
	"github.com/newsflow/newsflow/services/fetcher/internal/sources"
	"github.com/newsflow/newsflow/services/fetcher/internal/textfile"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// Publisher is where the articles of a poll go: an *ingest.Ingester, or a
// printer for `fetcher probe`.
type Publisher interface {
	// Seen reports whether the article ID was published before.
	Seen(ctx context.Context, id string) (bool, error)
	// Submit publishes a once; also are other IDs of the same article
	// (the feed's link when the page names another canonical URL) to
	// remember as seen. An error wrapping events.ErrInvalid means the
	// article is unusable; other errors are transient.
	Submit(ctx context.Context, a events.RawArticle, also ...string) (ingest.Outcome, error)
	// Reject dead-letters what could not become an article, with why.
	Reject(ctx context.Context, source, origin string, data []byte, cause error) error
	// Duplicate counts an article found again and skipped before fetching.
	Duplicate(a events.RawArticle)
}

// Attempts remembers the failures of items across polls and replicas; a
// *coord.Attempts. Without one, every failure is final.
type Attempts interface {
	Get(ctx context.Context, id string) (coord.Attempt, error)
	Fail(ctx context.Context, id, reason string, now time.Time) (coord.Attempt, error)
	Bury(ctx context.Context, id, reason string, now time.Time) error
	Clear(ctx context.Context, id string) error
}

// Config bounds a Poller. Zero fields take the documented defaults.
type Config struct {
	// MaxAttempts is how many polls may fail to fetch an item's page
	// (with a retryable error: timeout, 5xx, network) before the item is
	// given up: published from the feed's text if it has any, else
	// dead-lettered. Default 3.
	MaxAttempts int
	// Concurrency is how many items of one poll are processed at once
	// (each host's own limits still apply). Default 4.
	Concurrency int
	// MaxSitemapBytes caps one sitemap document. Default 64 MiB.
	MaxSitemapBytes int64
	// SitemapTimeout bounds fetching one sitemap document. Default 5m.
	SitemapTimeout time.Duration
	// MaxSitemapURLs caps the URLs read from one sitemap walk. Default 50000.
	MaxSitemapURLs int
}

func (c Config) withDefaults() Config {
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.MaxSitemapBytes <= 0 {
		c.MaxSitemapBytes = 64 << 20
	}
	if c.SitemapTimeout <= 0 {
		c.SitemapTimeout = 5 * time.Minute
	}
	if c.MaxSitemapURLs <= 0 {
		c.MaxSitemapURLs = 50000
	}
	return c
}

// Poller polls sources. It is safe for concurrent use.
type Poller struct {
	web      *web.Client
	out      Publisher
	attempts Attempts
	metrics  *Metrics
	log      *slog.Logger
	now      func() time.Time
	cfg      Config
}

// New returns a Poller fetching with client and publishing to out.
// attempts and m may be nil.
func New(client *web.Client, out Publisher, attempts Attempts, m *Metrics, log *slog.Logger, now func() time.Time, c Config) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Poller{web: client, out: out, attempts: attempts, metrics: m, log: log, now: now, cfg: c.withDefaults()}
}

// Poll outcomes besides web.Reason's labels.
const (
	OutcomeOK         = "ok"
	OutcomeUnparsable = "unparsable" // the document is not what the source's kind promises
)

// Result sums up a poll.
type Result struct {
	// Outcome is the polls_total label: ok, not_modified, unparsable, or
	// web.Reason of the failed fetch.
	Outcome string
	// Err is why the source document could not be used (nil when ok), or
	// the sitemap walk's errors.
	Err error
	// Items is how many items the document listed (after caps).
	Items int
	// New and Duplicate count published and already-published articles,
	// Failed the items to try again at the next poll, DeadLettered those
	// given up, Deferred those beyond max_items left for the next poll.
	New, Duplicate, Failed, DeadLettered, Deferred int
}

// Done reports whether every item reached a final state: the document's
// validators may then be stored, so that the next poll of an unchanged
// document is a cheap 304.
func (r Result) Done() bool {
	return r.Outcome == OutcomeOK && r.Err == nil && r.Failed == 0 && r.Deferred == 0
}

// Poll fetches the source's document and processes its items.
func (p *Poller) Poll(ctx context.Context, s sources.Source) Result {
	start := time.Now()
	var r Result
	switch s.Kind {
	case sources.KindFeed:
		resp, err := p.web.Fetch(ctx, s.URL, web.ForSource(s.ID), web.DeferValidators())
		if err != nil {
			r = Result{Outcome: web.Reason(err), Err: err}
			break
		}
		r = p.document(ctx, s, resp)
	case sources.KindSitemap:
		r = p.sitemap(ctx, s, nil)
	case sources.KindPage:
		r = p.process(ctx, s, sources.KindPage, []feed.Item{{Link: s.URL}}, nil)
	default:
		r = Result{Outcome: OutcomeUnparsable, Err: fmt.Errorf("poll: source kind %q is not polled", s.Kind)}
	}
	p.observe(s, r, time.Since(start))
	return r
}

// Document processes a document already fetched from the source's URL.
// When s.Kind is empty, what the document is decides (feed, sitemap or
// page); this is how `fetcher probe` works.
func (p *Poller) Document(ctx context.Context, s sources.Source, resp *web.Response) Result {
	start := time.Now()
	r := p.document(ctx, s, resp)
	p.observe(s, r, time.Since(start))
	return r
}

func (p *Poller) observe(s sources.Source, r Result, d time.Duration) {
	if p.metrics != nil {
		p.metrics.Polls.WithLabelValues(s.ID, r.Outcome).Inc()
		p.metrics.PollSeconds.WithLabelValues(s.ID).Observe(d.Seconds())
	}
	level := slog.LevelInfo
	switch {
	case r.Outcome == web.Reason(web.ErrNotModified):
		level = slog.LevelDebug
	case r.Outcome != OutcomeOK:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("source", s.ID), slog.String("outcome", r.Outcome), slog.Int("items", r.Items),
		slog.Int("new", r.New), slog.Int("duplicate", r.Duplicate), slog.Int("failed", r.Failed),
		slog.Int("dead_lettered", r.DeadLettered), slog.Int("deferred", r.Deferred), slog.Duration("took", d),
	}
	if r.Err != nil {
		attrs = append(attrs, slog.String("error", r.Err.Error()))
	}
	p.log.LogAttrs(context.Background(), level, "poll", attrs...)
}

// document dispatches on what resp holds and stores its validators once
// every item is done.
func (p *Poller) document(ctx context.Context, s sources.Source, resp *web.Response) Result {
	ct := resp.Header.Get("Content-Type")
	kind := feed.Detect(ct, resp.Body)
	var r Result
	switch {
	case kind.IsFeed():
		f, err := feed.ParseFeed(resp.Body, ct, resp.URL)
		if err != nil {
			return Result{Outcome: parseOutcome(err), Err: err}
		}
		r = p.process(ctx, s, cmp.Or(s.Kind, sources.KindFeed), f.Items, nil)
	case kind == feed.KindSitemapIndex:
		return p.sitemap(ctx, s, resp)
	case kind.IsSitemap():
		sm, err := feed.ParseSitemap(bytes.NewReader(resp.Body), feed.SitemapOptions{BaseURL: resp.URL, MaxURLs: p.cfg.MaxSitemapURLs})
		if err != nil {
			return Result{Outcome: parseOutcome(err), Err: err}
		}
		items := make([]feed.Item, len(sm.URLs))
		for i, u := range sm.URLs {
			items[i] = u.Item()
		}
		r = p.process(ctx, s, cmp.Or(s.Kind, sources.KindSitemap), items, nil)
	case s.Kind == "" || s.Kind == sources.KindPage:
		r = p.process(ctx, s, sources.KindPage, []feed.Item{{Link: resp.URL}}, resp)
	default:
		return Result{Outcome: OutcomeUnparsable, Err: fmt.Errorf("poll: %s is %s, not a feed or sitemap", resp.URL, kind)}
	}
	if r.Done() {
		p.saveValidators(ctx, resp)
	}
	return r
}

// errStopWalk ends a sitemap walk once enough URLs are read.
var errStopWalk = errors.New("poll: enough sitemap URLs")

// sitemap walks the source's sitemap (index), streaming each document;
// root, when set, is the root document already fetched.
func (p *Poller) sitemap(ctx context.Context, s sources.Source, root *web.Response) Result {
	var (
		mu    sync.Mutex
		resps []*web.Response
	)
	if root != nil {
		resps = append(resps, root)
	}
	open := func(ctx context.Context, u string) (io.ReadCloser, string, error) {
		if root != nil && u == s.URL {
			return io.NopCloser(bytes.NewReader(root.Body)), root.URL, nil
		}
		r, body, err := p.web.Open(ctx, u, web.ForSource(s.ID), web.DeferValidators(),
			web.WithMaxBytes(p.cfg.MaxSitemapBytes), web.WithTimeout(p.cfg.SitemapTimeout),
			web.WithAccept("application/xml, text/xml;q=0.9, text/plain;q=0.5, */*;q=0.1"))
		if err != nil {
			return nil, "", err
		}
		mu.Lock()
		resps = append(resps, r)
		mu.Unlock()
		return body, r.URL, nil
	}
	var items []feed.Item
	err := feed.WalkSitemaps(ctx, open, s.URL, feed.WalkOptions{}, func(u feed.SitemapURL) error {
		if len(items) >= p.cfg.MaxSitemapURLs {
			return errStopWalk
		}
		items = append(items, u.Item())
		return nil
	})
	var walkErr error
	if _, joined := err.(interface{ Unwrap() []error }); err != nil && !joined && !errors.Is(err, errStopWalk) {
		// The root failed (a 304 included): nothing to process.
		return Result{Outcome: documentOutcome(err), Err: err}
	} else if joined {
		walkErr = dropNotModified(err)
	}
	r := p.process(ctx, s, cmp.Or(s.Kind, sources.KindSitemap), items, nil)
	r.Err = walkErr
	if r.Done() {
		for _, resp := range resps {
			p.saveValidators(ctx, resp)
		}
	}
	return r
}

// documentOutcome labels why a source document could not be used.
func documentOutcome(err error) string {
	var syntax *xml.SyntaxError
	switch {
	case errors.Is(err, feed.ErrNotSitemap), errors.Is(err, feed.ErrNotFeed), errors.As(err, &syntax):
		return OutcomeUnparsable
	case errors.Is(err, feed.ErrTooLarge):
		return web.Reason(web.ErrTooLarge)
	}
	return web.Reason(err)
}

// parseOutcome labels why a document in memory did not parse.
func parseOutcome(err error) string {
	if errors.Is(err, feed.ErrTooLarge) {
		return web.Reason(web.ErrTooLarge)
	}
	return OutcomeUnparsable
}

// dropNotModified removes, from the joined errors of a walk, the children
// that answered 304: unchanged since they were last processed.
func dropNotModified(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if errors.Is(err, web.ErrNotModified) {
			return nil
		}
		return err
	}
	var keep []error
	for _, e := range j.Unwrap() {
		if !errors.Is(e, web.ErrNotModified) {
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}

func (p *Poller) saveValidators(ctx context.Context, resp *web.Response) {
	if err := p.web.SaveValidators(ctx, resp); err != nil {
		p.log.Warn("validators not stored", "url", resp.URL, "error", err)
	}
}

// candidate is an item with its article ID.
type candidate struct {
	item feed.Item
	id   string // from the link's canonical URL, else from the feed text
	url  string // canonical link, "" without one
	seen bool
	err  error
}

// process turns items into articles. page, when set, is the already
// fetched page of the single item.
func (p *Poller) process(ctx context.Context, s sources.Source, kind string, items []feed.Item, page *web.Response) Result {
	r := Result{Outcome: OutcomeOK, Items: len(items)}
	// Newest first, so that max_items takes the latest news; undated
	// items keep their document order after the dated ones.
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b feed.Item) int {
		switch {
		case a.Published == nil && b.Published == nil:
			return 0
		case a.Published == nil:
			return 1
		case b.Published == nil:
			return -1
		}
		return b.Published.Compare(*a.Published)
	})
	cands := make([]candidate, len(items))
	forEach(ctx, len(items), p.cfg.Concurrency*4, func(i int) {
		c := candidate{item: items[i]}
		if c.item.Link != "" {
			if u, err := events.CanonicalURL(c.item.Link); err == nil {
				c.url = u
				c.id, _ = events.ArticleIDFromURL(u)
			}
		}
		if c.id == "" {
			if t := itemText(c.item); t != "" {
				c.id = events.ArticleIDFromContent(t)
			}
		}
		if c.id != "" {
			c.seen, c.err = p.out.Seen(ctx, c.id)
		}
		cands[i] = c
	})
	var todo []candidate
	for _, c := range cands {
		switch {
		case c.id == "":
			// Neither a usable link nor any text: nothing to publish
			// or to dead-letter by.
			p.log.Debug("item without link or text skipped", "source", s.ID, "title", c.item.Title)
		case c.err != nil:
			r.Failed++
			p.countFailure(s, "seen_set")
		case c.seen:
			r.Duplicate++
			p.out.Duplicate(events.RawArticle{Source: s.ID, SourceKind: kind, ID: c.id, URL: c.url, Title: c.item.Title})
		case len(todo) >= s.MaxItems && s.MaxItems > 0:
			r.Deferred++
		default:
			todo = append(todo, c)
		}
	}
	if ctx.Err() != nil {
		r.Deferred += len(todo)
		return r
	}
	var newN, dupN, failN, deadN, doneN atomic.Int64
	forEach(ctx, len(todo), p.cfg.Concurrency, func(i int) {
		doneN.Add(1)
		switch p.item(ctx, s, kind, todo[i], page) {
		case itemNew:
			newN.Add(1)
		case itemDuplicate:
			dupN.Add(1)
		case itemFailed:
			failN.Add(1)
		case itemDead:
			deadN.Add(1)
		}
	})
	r.New += int(newN.Load())
	r.Duplicate += int(dupN.Load())
	r.Failed += int(failN.Load())
	r.DeadLettered += int(deadN.Load())
	r.Deferred += len(todo) - int(doneN.Load())
	return r
}

type itemOutcome int

const (
	itemNew itemOutcome = iota
	itemDuplicate
	itemFailed // try again at the next poll
	itemDead   // dead-lettered now
	itemBuried // dead-lettered by an earlier poll
)

// MinWords is the fewest words of feed text that make a full article
// without the page.
const MinWords = extract.DefaultMinWords

// item turns one new item into an article and publishes it.
func (p *Poller) item(ctx context.Context, s sources.Source, kind string, c candidate, page *web.Response) itemOutcome {
	it := c.item
	var prior coord.Attempt
	if p.attempts != nil {
		at, err := p.attempts.Get(ctx, c.id)
		if err != nil {
			p.log.Warn("attempts not read", "source", s.ID, "id", c.id, "error", err)
		}
		if at.Dead {
			return itemBuried
		}
		prior = at
	}
	var (
		art       events.RawArticle
		ok        bool
		also      []string
		pageErr   error
		retryable bool
		reason    string
	)
	if s.FetchPages && it.Link != "" {
		resp := page
		if resp == nil {
			var err error
			resp, err = p.web.Fetch(ctx, it.Link, web.ForSource(s.ID), web.Unconditional(),
				web.WithAccept("text/html, application/xhtml+xml;q=0.9, */*;q=0.5"))
			if err != nil {
				if ctx.Err() != nil {
					return itemFailed
				}
				pageErr, retryable, reason = fmt.Errorf("page %s: %w", it.Link, err), web.Retryable(err), web.Reason(err)
			}
		}
		if pageErr == nil {
			art, pageErr = p.fromPage(s, kind, it, resp)
			if pageErr != nil {
				reason = extractReason(pageErr)
				if p.metrics != nil {
					p.metrics.ExtractionFailures.WithLabelValues(s.ID, reason).Inc()
				}
			} else {
				ok = true
				if art.ID != c.id {
					also = append(also, c.id)
				}
			}
		}
	}
	if !ok {
		text := itemText(it)
		fetched := s.FetchPages && it.Link != ""
		switch {
		case !fetched && text != "":
		case fetched && wordCount(text) >= MinWords:
		case fetched && retryable && p.attempts != nil:
			at, err := p.attempts.Fail(ctx, c.id, reason, p.now())
			if err != nil {
				p.log.Warn("attempts not recorded", "source", s.ID, "id", c.id, "error", err)
			}
			if at.Count < p.cfg.MaxAttempts {
				p.log.Info("item failed, will try again", "source", s.ID, "url", it.Link, "attempt", at.Count, "error", pageErr)
				p.countFailure(s, reason)
				return itemFailed
			}
			if text == "" {
				return p.bury(ctx, s, c, reason, fmt.Errorf("%w; gave up after %d attempts; the item has no text of its own", pageErr, at.Count))
			}
		case text == "":
			if pageErr == nil {
				pageErr, reason = errors.New("the item has no text and its page is not fetched"), "no_content"
			}
			return p.bury(ctx, s, c, reason, fmt.Errorf("%w; the item has no text of its own", pageErr))
		}
		art = p.fromFeed(s, kind, c, text)
		if fetched {
			p.log.Info("page failed, article made from the feed's text", "source", s.ID, "url", it.Link, "error", pageErr)
			if p.metrics != nil {
				p.metrics.Fallbacks.WithLabelValues(s.ID).Inc()
			}
		}
	}
	outcome, err := p.out.Submit(ctx, art, also...)
	switch {
	case errors.Is(err, events.ErrInvalid):
		return p.bury(ctx, s, c, "invalid", err)
	case err != nil:
		p.log.Warn("article not published, will try again", "source", s.ID, "id", art.ID, "error", err)
		p.countFailure(s, "publish")
		return itemFailed
	}
	if prior.Count > 0 {
		if err := p.attempts.Clear(ctx, c.id); err != nil {
			p.log.Warn("attempts not cleared", "source", s.ID, "id", c.id, "error", err)
		}
	}
	if outcome == ingest.OutcomeDuplicate {
		return itemDuplicate
	}
	return itemNew
}

func (p *Poller) countFailure(s sources.Source, reason string) {
	if p.metrics != nil {
		p.metrics.ItemFailures.WithLabelValues(s.ID, reason).Inc()
	}
}

// deadItem is the payload of an item's dead letter.
type deadItem struct {
	Source    string     `json:"source"`
	Link      string     `json:"link,omitempty"`
	Title     string     `json:"title,omitempty"`
	GUID      string     `json:"guid,omitempty"`
	Published *time.Time `json:"published,omitempty"`
	ArticleID string     `json:"article_id"`
}

// bury dead-letters an item and marks it so that polls skip it.
func (p *Poller) bury(ctx context.Context, s sources.Source, c candidate, reason string, cause error) itemOutcome {
	data, _ := json.Marshal(deadItem{Source: s.ID, Link: c.item.Link, Title: c.item.Title, GUID: c.item.GUID, Published: c.item.Published, ArticleID: c.id})
	origin := cmp.Or(c.item.Link, s.URL)
	if err := p.out.Reject(ctx, s.ID, origin, data, cause); err != nil {
		p.log.Warn("dead letter not published, will try again", "source", s.ID, "url", origin, "error", err)
		p.countFailure(s, "publish")
		return itemFailed
	}
	if p.attempts != nil {
		if err := p.attempts.Bury(ctx, c.id, reason, p.now()); err != nil {
			p.log.Warn("dead item not marked", "source", s.ID, "id", c.id, "error", err)
		}
	}
	if p.metrics != nil {
		p.metrics.DeadLettered.WithLabelValues(s.ID, reason).Inc()
	}
	p.log.Warn("item dead-lettered", "source", s.ID, "url", origin, "reason", cause)
	return itemDead
}

// errNotHTML: the item's page is not an HTML document.
var errNotHTML = errors.New("the page is not HTML")

func extractReason(err error) string {
	switch {
	case errors.Is(err, errNotHTML):
		return "not_html"
	case errors.Is(err, extract.ErrNoContent):
		return "no_content"
	case errors.Is(err, extract.ErrTooComplex):
		return "too_complex"
	case errors.Is(err, extract.ErrBadURL), errors.Is(err, events.ErrURL):
		return "bad_url"
	}
	return "other"
}

// fromPage makes the article from the item's fetched page.
func (p *Poller) fromPage(s sources.Source, kind string, it feed.Item, resp *web.Response) (events.RawArticle, error) {
	k := feed.Detect(resp.Header.Get("Content-Type"), resp.Body)
	html := k == feed.KindHTML || k == feed.KindUnknown && (resp.ContentType == "" || strings.Contains(resp.ContentType, "html"))
	if !html {
		return events.RawArticle{}, fmt.Errorf("page %s: %w (%s)", resp.URL, errNotHTML, cmp.Or(resp.ContentType, string(k)))
	}
	ea, err := extract.Extract(resp.Body, extract.Options{URL: resp.URL, ContentType: resp.Header.Get("Content-Type")})
	if err != nil {
		return events.RawArticle{}, fmt.Errorf("page %s: %w", resp.URL, err)
	}
	link := resp.URL
	if ea.CanonicalURL != "" && sameSite(ea.CanonicalURL, resp.URL) {
		link = ea.CanonicalURL
	}
	u, err := events.CanonicalURL(link)
	if err != nil {
		if u, err = events.CanonicalURL(resp.URL); err != nil {
			return events.RawArticle{}, fmt.Errorf("page %s: %w", resp.URL, err)
		}
	}
	id, _ := events.ArticleIDFromURL(u)
	published := it.Published
	if published == nil {
		published = ea.PublishedAt
	}
	return p.article(s, kind, id, u, cmp.Or(it.Title, ea.Title), ea.Text,
		cmp.Or(ea.Byline, it.Author), cmp.Or(language(ea.Language), language(it.Language)), published), nil
}

// fromFeed makes the article from the item's own text.
func (p *Poller) fromFeed(s sources.Source, kind string, c candidate, text string) events.RawArticle {
	it := c.item
	return p.article(s, kind, c.id, c.url, it.Title, text, it.Author, language(it.Language), it.Published)
}

func (p *Poller) article(s sources.Source, kind, id, url, title, body, byline, lang string, published *time.Time) events.RawArticle {
	body = clipUTF8(strings.TrimSpace(body), events.MaxBodyBytes)
	title = strings.TrimSpace(title)
	if title == "" {
		title = textfile.FirstSentence(body, textfile.MaxTitleRunes)
	}
	var pub *time.Time
	if published != nil {
		t := published.UTC()
		pub = &t
	}
	return events.RawArticle{
		SchemaVersion: events.SchemaVersion,
		ID:            id,
		Source:        s.ID,
		SourceKind:    kind,
		URL:           url,
		Title:         clipUTF8(title, events.MaxTitleBytes),
		Body:          body,
		Byline:        clipUTF8(strings.TrimSpace(byline), 512),
		Language:      lang,
		PublishedAt:   pub,
		FetchedAt:     p.now().UTC(),
		ContentHash:   events.ContentHash(body),
	}
}

// itemText is the item's own text: its content, else its summary, as
// plain text.
func itemText(it feed.Item) string {
	text := feedText(it.Content)
	if wordCount(text) < MinWords {
		if sum := feedText(it.Summary); wordCount(sum) > wordCount(text) {
			text = sum
		}
	}
	return text
}

// language keeps a plausible language tag ("en", "en-US"), else "".
func language(tag string) string {
	tag = strings.TrimSpace(tag)
	if len(tag) < 2 || len(tag) > 16 {
		return ""
	}
	for i, r := range tag {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case (r == '-' || r == '_' || r >= '0' && r <= '9') && i >= 2:
		default:
			return ""
		}
	}
	return tag
}

// sameSite reports whether two URLs are on one site: their hosts, without
// a leading "www.", are equal or one is a subdomain of the other. A page's
// canonical URL on another site is not trusted (it would let a page claim
// another site's article ID).
func sameSite(a, b string) bool {
	ha, hb := host(a), host(b)
	if ha == "" || hb == "" {
		return false
	}
	if len(ha) > len(hb) {
		ha, hb = hb, ha
	}
	return ha == hb || strings.Contains(ha, ".") && strings.HasSuffix(hb, "."+ha)
}

func host(raw string) string {
	u, err := events.CanonicalURL(raw)
	if err != nil {
		return ""
	}
	rest := u[strings.Index(u, "://")+3:]
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimPrefix(rest, "www.")
}

// clipUTF8 cuts valid UTF-8 s to at most n bytes at a rune boundary.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// forEach calls fn(0..n-1) from up to workers goroutines, stopping early
// when ctx ends.
func forEach(ctx context.Context, n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
