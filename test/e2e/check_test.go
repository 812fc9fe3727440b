//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/stage"
	"github.com/newsflow/newsflow/test/e2e/internal/corpus"
)

// pgDSN is the URL of the stack's database as the host reaches it.
func (s *stack) pgDSN() (string, error) {
	a, err := s.addr(s.pg, "5432/tcp")
	return "postgres://postgres@" + a + "/postgres?sslmode=disable&connect_timeout=5", err
}

func (s *stack) waitPostgres(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		dsn, err := s.pgDSN()
		var conn *pgx.Conn
		if err == nil {
			conn, err = pgx.Connect(ctx, dsn)
		}
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready: %w", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// stored returns the serial numbers (see corpus.SerialOf) of the articles
// stored for a source, with repeats, and the rows that are not generated
// articles.
func (s *stack) stored(source string) (serials []int, other []string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
	defer cancel()
	dsn, err := s.pgDSN()
	if err != nil {
		s.t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		s.t.Fatalf("postgres: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id, title FROM articles WHERE source = $1`, source)
	if err != nil {
		s.t.Fatalf("query articles: %v", err)
	}
	for rows.Next() {
		var id, title string
		if err := rows.Scan(&id, &title); err != nil {
			s.t.Fatal(err)
		}
		if n, ok := corpus.SerialOf(title); ok {
			serials = append(serials, n)
		} else {
			other = append(other, id+" "+title)
		}
	}
	if err := rows.Err(); err != nil {
		s.t.Fatalf("query articles: %v", err)
	}
	return serials, other
}

// storedCount counts a source's rows, or -1 while the database is unreachable.
func (s *stack) storedCount(source string) int {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	dsn, err := s.pgDSN()
	if err != nil {
		return -1
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return -1
	}
	defer conn.Close(ctx)
	var n int
	// The table appears with the sink's first migration.
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM articles WHERE source = $1`, source).Scan(&n); err != nil {
		return -1
	}
	return n
}

// subjectCounts returns how many messages each subject of a stream
// holds; it fails the test when the cluster does not answer.
func (s *stack) subjectCounts(stream, filter string) map[string]uint64 {
	s.t.Helper()
	var last error
	for range 30 {
		m, err := s.countSubjects(stream, filter)
		if err == nil {
			return m
		}
		last = err
		time.Sleep(time.Second)
	}
	s.t.Fatalf("stream %s: %v", stream, last)
	return nil
}

// countSubjects is one try of subjectCounts, for goroutines.
func (s *stack) countSubjects(stream, filter string) (map[string]uint64, error) {
	_, js, err := s.connect()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return map[string]uint64{}, nil
	}
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, err
	}
	if info.State.Subjects == nil {
		return map[string]uint64{}, nil
	}
	return info.State.Subjects, nil
}

type consumerState struct {
	pending, ackPending, redelivered uint64
}

func (s *stack) consumer(stream, name string) (consumerState, error) {
	_, js, err := s.connect()
	if err != nil {
		return consumerState{}, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, name)
	if err != nil {
		return consumerState{}, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return consumerState{}, err
	}
	return consumerState{info.NumPending, uint64(info.NumAckPending), uint64(info.NumRedelivered)}, nil
}

// waitSettled waits until the database holds want articles of source and
// the stages' consumers have nothing pending nor unacknowledged.
func (s *stack) waitSettled(source string, want int, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	var last string
	stable := 0
	idleSince, idleCount := time.Time{}, -2
	for {
		got := s.storedCount(source)
		enr, err1 := s.consumer(events.StreamRaw, "enricher")
		snk, err2 := s.consumer(events.StreamEnriched, "sink")
		last = fmt.Sprintf("stored %d of %d; enricher %+v (%v); sink %+v (%v)", got, want, enr, err1, snk, err2)
		idle := err1 == nil && err2 == nil && enr.pending == 0 && enr.ackPending == 0 && snk.pending == 0 && snk.ackPending == 0
		if got >= want && idle {
			// Twice in a row, a second apart: nothing still in flight.
			if stable++; stable >= 2 {
				s.t.Logf("settled: %s", last)
				return
			}
		} else {
			stable = 0
		}
		// Everything consumed and acknowledged, yet articles missing, for
		// long: they are lost, waiting longer will not bring them.
		switch {
		case !idle || got != idleCount:
			idleSince, idleCount = time.Now(), got
		case time.Since(idleSince) > 90*time.Second:
			s.t.Fatalf("the consumers are idle with nothing pending for 90 s, but %s", last)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("not settled within %v: %s", within, last)
		}
		time.Sleep(time.Second)
	}
}

// dlqEntry is one dead letter.
type dlqEntry struct {
	stage, class, reason, subject string
	size                          int
}

// deadLetters reads every message of NEWS_DLQ, one sequence at a time
// (retrying each get: a cluster that just elected a leader answers "no
// responders" for a moment).
func (s *stack) deadLetters() []dlqEntry {
	s.t.Helper()
	_, js := s.conn()
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	var (
		st   jetstream.Stream
		info *jetstream.StreamInfo
		err  error
	)
	for range 20 {
		if st, err = js.Stream(ctx, events.StreamDLQ); err == nil {
			if info, err = st.Info(ctx); err == nil {
				break
			}
		}
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("read DLQ: %v", err)
	}
	var out []dlqEntry
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		var m *jetstream.RawStreamMsg
		for range 20 {
			if m, err = st.GetMsg(ctx, seq); err == nil || errors.Is(err, jetstream.ErrMsgNotFound) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			s.t.Fatalf("read DLQ message %d: %v", seq, err)
		}
		out = append(out, dlqEntry{
			stage: m.Header.Get(stage.HeaderDLQStage), class: m.Header.Get(stage.HeaderDLQClass),
			reason: m.Header.Get(stage.HeaderDLQReason), subject: m.Header.Get(stage.HeaderDLQSubject), size: len(m.Data),
		})
	}
	if uint64(len(out)) != info.State.Msgs {
		s.t.Fatalf("read %d dead letters, the stream holds %d", len(out), info.State.Msgs)
	}
	return out
}

// metrics scrapes a stage's /metrics and returns the samples by name and
// labels, such as `newsflow_enricher_messages_total{outcome="ok"}`.
func (s *stack) metrics(n *node) (map[string]float64, error) {
	a, err := s.addr(n, stagePort)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	b, err := httpGet(ctx, "http://"+a+"/metrics")
	if err != nil {
		return nil, err
	}
	return parseMetrics(b)
}

func parseMetrics(b []byte) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out, nil
}

// meter keeps, for every stage container, the counters of each of its
// lives: a container restarted starts its counters at zero, so the total
// is the sum over lives of the last value scraped in each. A life ended by
// SIGKILL loses what it counted after its last scrape: the totals are then
// lower bounds, and the tests say so.
type meter struct {
	s    *stack
	mu   sync.Mutex
	done map[string]map[string]float64 // sums of ended lives, by node
	cur  map[string]map[string]float64 // last scrape of the current life
	lost map[string]bool               // a life ended without a final scrape
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newMeter(s *stack) *meter {
	m := &meter{s: s, done: map[string]map[string]float64{}, cur: map[string]map[string]float64{},
		lost: map[string]bool{}, stop: make(chan struct{})}
	s.t.Cleanup(m.halt) // a test that fails early stops the scraping too
	m.wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				for _, n := range s.stages() {
					m.scrape(n)
				}
			}
		}
	})
	return m
}

func (m *meter) scrape(n *node) {
	got, err := m.s.metrics(n)
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur[n.name] = got
}

// ended records that n's current life is over; graceful tells whether
// the last scrape was taken after it stopped counting.
func (m *meter) ended(n *node, graceful bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !graceful {
		m.lost[n.name] = true
	}
	sum := m.done[n.name]
	if sum == nil {
		sum = map[string]float64{}
		m.done[n.name] = sum
	}
	for k, v := range m.cur[n.name] {
		sum[k] += v
	}
	delete(m.cur, n.name)
}

// halt stops the periodic scraping.
func (m *meter) halt() {
	m.once.Do(func() { close(m.stop) })
	m.wg.Wait()
}

// close stops scraping after a final scrape of every stage.
func (m *meter) close() {
	m.halt()
	for _, n := range m.s.stages() {
		m.scrape(n)
	}
}

// total returns a metric summed over the lives of the stages of a kind.
func (m *meter) total(kind, key string) (v float64, exact bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exact = true
	for _, n := range m.s.stages() {
		if n.kind != kind {
			continue
		}
		v += m.done[n.name][key] + m.cur[n.name][key]
		if m.lost[n.name] {
			exact = false
		}
	}
	return v, exact
}

// report is what a scenario measured; it is logged and appended to
// $E2E_REPORT (a Markdown table row) for docs/RELIABILITY.md.
type report struct {
	scenario   string
	articles   int
	faults     string
	elapsed    time.Duration
	lost, dups int
	dlq        int
	peakMB     map[string]float64
}

func (r report) log(t *testing.T) {
	var mem []string
	for k, v := range r.peakMB {
		mem = append(mem, fmt.Sprintf("%s %.0f", k, v))
	}
	sort.Strings(mem)
	line := fmt.Sprintf("| %s | %d | %s | %s | %d | %d | %d | %s |", r.scenario, r.articles, r.faults,
		r.elapsed.Round(time.Second), r.lost, r.dups, r.dlq, strings.Join(mem, ", "))
	t.Log("REPORT " + line)
	if p := os.Getenv("E2E_REPORT"); p != "" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			if f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				fmt.Fprintln(f, line)
				f.Close()
			}
		}
	}
}

// expectation is what a scenario offered and injected.
type expectation struct {
	source   string
	articles int // serials 0..articles-1 offered on source
	// dlq counts the dead letters expected, by stage and class.
	dlq map[string]int // "enricher/undecodable" -> 1
}

// verify checks the end state after waitSettled: every article offered
// stored exactly once, nothing pending, the DLQ holding exactly the
// injected poison, the streams and the metrics agreeing. It returns the
// numbers for the report.
func (s *stack) verify(exp expectation, m *meter, faults bool) (lost, dups, dlq int) {
	s.t.Helper()
	t := s.t

	// The database: every serial exactly once, nothing else.
	serials, other := s.stored(exp.source)
	seen := make(map[int]int, len(serials))
	for _, n := range serials {
		seen[n]++
	}
	var missing, extra []int
	for n := range exp.articles {
		switch c := seen[n]; {
		case c == 0:
			missing = append(missing, n)
		case c > 1:
			dups += c - 1
		}
	}
	for n := range seen {
		if n < 0 || n >= exp.articles {
			extra = append(extra, n)
		}
	}
	lost = len(missing)
	if lost > 0 {
		t.Errorf("lost %d articles, first %v", lost, missing[:min(10, lost)])
	}
	if dups > 0 {
		t.Errorf("%d duplicate articles stored (same serial under different IDs)", dups)
	}
	if len(extra) > 0 || len(other) > 0 {
		t.Errorf("stored articles never offered: serials %v, rows %v", extra[:min(10, len(extra))], other[:min(10, len(other))])
	}

	// The consumers: nothing pending, nothing unacknowledged.
	for _, c := range []struct{ stream, name string }{{events.StreamRaw, "enricher"}, {events.StreamEnriched, "sink"}} {
		st, err := s.consumer(c.stream, c.name)
		if err != nil {
			t.Errorf("consumer %s: %v", c.name, err)
		} else if st.pending != 0 || st.ackPending != 0 {
			t.Errorf("consumer %s: %d pending, %d unacknowledged", c.name, st.pending, st.ackPending)
		}
	}

	// The streams: one raw and one enriched message per article (JetStream
	// de-duplicated every republication).
	raw := s.subjectCounts(events.StreamRaw, events.RawSubject(exp.source))[events.RawSubject(exp.source)]
	enr := s.subjectCounts(events.StreamEnriched, events.EnrichedSubject(exp.source))[events.EnrichedSubject(exp.source)]
	if raw != uint64(exp.articles) || enr != uint64(exp.articles) {
		t.Errorf("streams hold %d raw and %d enriched messages on %s, want %d each", raw, enr, exp.source, exp.articles)
	}

	// The dead-letter queue: exactly what was injected, each with a reason.
	got := map[string]int{}
	for _, d := range s.deadLetters() {
		got[d.stage+"/"+d.class]++
		dlq++
		if d.reason == "" || d.class == "" {
			t.Errorf("dead letter from %s without a reason: %+v", d.stage, d)
		}
	}
	if !equalCounts(got, exp.dlq) {
		t.Errorf("dead letters by stage/class: got %v, want %v", got, exp.dlq)
	}

	// Stream accounting: what entered each stream left it once, stored or dead-lettered.
	rawAll := sum(s.subjectCounts(events.StreamRaw, events.SubjectRawAll))
	enrAll := sum(s.subjectCounts(events.StreamEnriched, events.SubjectEnrichedAll))
	var rows int
	for src := range s.subjectCounts(events.StreamEnriched, events.SubjectEnrichedAll) {
		if c := s.storedCount(strings.TrimPrefix(src, "news.enriched.")); c > 0 {
			rows += c
		}
	}
	enrDLQ := uint64(got["enricher/undecodable"] + got["enricher/schema_version"] + got["enricher/invalid"] + got["enricher/too_large"] + got["enricher/max_deliveries"] + got["enricher/rejected"])
	sinkDLQ := uint64(got["sink/undecodable"] + got["sink/schema_version"] + got["sink/invalid"] + got["sink/too_large"] + got["sink/max_deliveries"] + got["sink/rejected"])
	t.Logf("accounting: raw %d = enriched by the enricher %d + enricher DLQ %d; enriched %d (%d injected straight) = stored %d + sink DLQ %d",
		rawAll, rawAll-enrDLQ, enrDLQ, enrAll, enrAll-(rawAll-enrDLQ), rows, sinkDLQ)
	if uint64(rows)+sinkDLQ != enrAll {
		t.Errorf("enriched messages %d != stored %d + sink dead letters %d", enrAll, rows, sinkDLQ)
	}

	// The metrics: published = stored + dead-lettered, stage by stage.
	if m != nil {
		m.close()
		s.checkMetrics(exp, m, faults, rawAll, enrAll, uint64(rows), enrDLQ, sinkDLQ)
	}
	return lost, dups, dlq
}

// checkMetrics compares the stages' counters with the streams and the
// database. Without faults every equation is exact. With faults a message
// may be handled twice (an ack lost with a connection), so handled counts
// are lower bounds, and a publish whose acknowledgement was lost counts
// neither as new nor later as new (its republication is a duplicate), so
// net new publications are upper bounds. Counters of a SIGKILLed life are
// partly lost; those are reported, not compared.
func (s *stack) checkMetrics(exp expectation, m *meter, faults bool, rawAll, enrAll, rows, enrDLQ, sinkDLQ uint64) {
	t := s.t
	const (
		eq = iota
		ge
		le
	)
	type check struct {
		what     string
		got      float64
		exact    bool
		want     uint64
		inFaults int
	}
	fetched, ex1 := m.total("fetcher", fmt.Sprintf(`newsflow_fetcher_articles_total{outcome="new",source=%q}`, exp.source))
	encOK, ex2 := m.total("enricher", `newsflow_enricher_messages_total{outcome="ok"}`)
	encDL, ex3 := m.total("enricher", `newsflow_enricher_messages_total{outcome="dead_letter"}`)
	encPub, ex4 := m.total("enricher", `newsflow_enricher_published_messages_total{stream="enriched"}`)
	encDup, _ := m.total("enricher", `newsflow_enricher_published_duplicates_total{stream="enriched"}`)
	snkStored, ex5 := m.total("sink", `newsflow_sink_articles_stored_total`)
	snkDL, ex6 := m.total("sink", `newsflow_sink_messages_total{outcome="dead_letter"}`)
	checks := []check{
		{"fetcher articles new", fetched, ex1, uint64(exp.articles), le},
		{"enricher ok + dead-lettered", encOK + encDL, ex2 && ex3, rawAll, ge},
		{"enricher dead-lettered", encDL, ex3, enrDLQ, eq},
		{"enricher enriched publications less duplicates", encPub - encDup, ex4, rawAll - enrDLQ, le},
		{"sink stored (re-deliveries count again)", snkStored, ex5, rows, ge},
		{"sink dead-lettered", snkDL, ex6, sinkDLQ, eq},
	}
	for _, c := range checks {
		t.Logf("metrics: %s = %.0f (streams and database: %d; counters complete: %v)", c.what, c.got, c.want, c.exact)
		mode := eq
		if faults {
			mode = c.inFaults
		}
		switch {
		case !c.exact:
		case mode == eq && c.got != float64(c.want):
			t.Errorf("metrics: %s = %.0f, want %d", c.what, c.got, c.want)
		case mode == ge && c.got < float64(c.want):
			t.Errorf("metrics: %s = %.0f, below %d", c.what, c.got, c.want)
		case mode == le && c.got > float64(c.want):
			t.Errorf("metrics: %s = %.0f, above %d", c.what, c.got, c.want)
		}
	}
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

// checkHealthy asserts that no container crashed on its own: every stage
// the test did not stop is running, none was OOM-killed or restarted by
// Docker, no log holds a panic, and peak memory stayed below the limit.
func (s *stack) checkHealthy(r *report) {
	s.t.Helper()
	r.peakMB = map[string]float64{}
	for _, n := range s.all() {
		info := s.inspect(n)
		if info.State == nil || !info.State.Running {
			s.t.Errorf("%s is not running at the end: %+v", n.name, info.State)
			continue
		}
		if info.State.OOMKilled {
			s.t.Errorf("%s was OOM-killed", n.name)
		}
		if info.RestartCount != 0 {
			s.t.Errorf("%s was restarted %d times by Docker", n.name, info.RestartCount)
		}
		if lg := s.logs(n); strings.Contains(lg, "panic:") || strings.Contains(lg, "fatal error:") {
			s.t.Errorf("%s log holds a panic", n.name)
		}
		_, peak := s.memory(n)
		r.peakMB[n.name] = float64(peak) / (1 << 20)
		if peak >= memLimit*9/10 {
			s.t.Errorf("%s peak memory %d MiB is near its limit", n.name, peak>>20)
		}
	}
}

// postOffer raises the feed server's offer.
func (s *stack) postOffer(upto int) error {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	u, err := s.feedURL(fmt.Sprintf("/admin/offer?upto=%d", upto))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("offer %d: %s", upto, resp.Status)
	}
	return nil
}
