//go:build deploycheck

package deploycheck

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/newsflow/newsflow/deploy/local/stack"
	"github.com/newsflow/newsflow/deploy/tools/promql"
	"github.com/newsflow/newsflow/deploy/tools/rules"
	"github.com/newsflow/newsflow/services/sink/pgtest"
)

// loadDuration is how long the live check feeds the stack;
// NEWSFLOW_DEPLOYCHECK_LOAD overrides it (a Go duration).
func loadDuration(t *testing.T) time.Duration {
	if s := os.Getenv("NEWSFLOW_DEPLOYCHECK_LOAD"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("NEWSFLOW_DEPLOYCHECK_LOAD: %v", err)
		}
		return d
	}
	return 40 * time.Second
}

// unavailable skips the test, or fails it under CI, where every tool the
// check needs must be there.
func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why + " (required under CI=true; `make deploy-check` installs it)")
	}
	t.Skip(why)
}

func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var ls []net.Listener
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs
}

func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

func httpOK(u string) bool {
	resp, err := http.Get(u)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// metricTypes reads the # TYPE lines of a /metrics page.
func metricTypes(t *testing.T, u string) map[string]string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	types := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return types
}

// stanceArticle holds stance constructions (criticised, backed,
// condemned...) so that the stance tables, and the panels on them, fill.
const stanceArticle = `Germany criticised France on Monday over the planned sale of the port of Marseille, saying the deal broke European rules. Chancellor Olaf Scholz said Germany opposed the sale. France defended the plan and accused Germany of protectionism.
The European Commission backed France, and Spain supported the Commission. Italy condemned Germany for its stance.`

// loader feeds the local stack: articles into the inbox, and poison for
// every stage, and one replayed raw article (so the enricher publishes a
// duplicate JetStream recognises).
type loader struct {
	inbox   string
	natsURL string
	bodies  []string
	n       atomic.Int64
}

func (l *loader) article(i int) []byte {
	body := l.bodies[i%len(l.bodies)]
	return []byte(fmt.Sprintf("date %s\n\nLive check report number %d\n\n%s\n\nThis is report %d of the live check.\n",
		time.Now().UTC().Format("2006-01-02"), i, body, i))
}

func (l *loader) poison(t *testing.T, round int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(l.inbox, fmt.Sprintf("poison-%d.txt", round)), poisonFile, 0o644); err != nil {
		t.Error(err)
	}
	nc, err := nats.Connect(l.natsURL)
	if err != nil {
		t.Error(err)
		return
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Error(err)
		return
	}
	for _, subj := range []string{"news.raw.livecheck", "news.enriched.livecheck"} {
		if _, err := js.Publish(subj, []byte("{not json"), nats.MsgId(fmt.Sprintf("poison-%s-%d", subj, round))); err != nil {
			t.Errorf("publish poison to %s: %v", subj, err)
		}
	}
	// A replay: the first raw article again under a new Msg-Id.
	if m, err := js.GetMsg("NEWS_RAW", 1); err == nil {
		h := nats.Header{}
		for k, v := range m.Header {
			h[k] = v
		}
		h.Set(nats.MsgIdHdr, fmt.Sprintf("replay-%d", round))
		if _, err := js.PublishMsg(&nats.Msg{Subject: m.Subject, Header: h, Data: m.Data}); err != nil {
			t.Errorf("replay: %v", err)
		}
	}
}

func (l *loader) run(ctx context.Context, t *testing.T, d time.Duration) {
	end := time.Now().Add(d)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	round := 0
	lastPoison := time.Time{}
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		i := int(l.n.Add(1))
		if err := os.WriteFile(filepath.Join(l.inbox, fmt.Sprintf("live-%05d.txt", i)), l.article(i), 0o644); err != nil {
			t.Error(err)
			return
		}
		if i > 8 && time.Since(lastPoison) > 12*time.Second {
			round++
			l.poison(t, round)
			lastPoison = time.Now()
		}
	}
}

// courierKind is what the courier's n-th story is: of every five, three
// articles, one page robots.txt disallows and one scripted page.
func courierKind(n int) storyKind {
	switch n % 5 {
	case 3:
		return storyMembers
	case 4:
		return storyScripted
	}
	return storyArticle
}

// webSeries are series the web sources of the live check must produce:
// every outcome they are built for.
var webSeries = []string{
	`newsflow_fetcher_polls_total{source="courier",outcome="ok"}`,
	`newsflow_fetcher_polls_total{source="courier",outcome="not_modified"}`,
	`newsflow_fetcher_polls_total{source="wire",outcome="ok"}`,
	`newsflow_fetcher_polls_total{source="gazette",outcome="status_5xx"}`,
	`newsflow_fetcher_http_requests_total{source="courier",class="2xx"}`,
	`newsflow_fetcher_http_requests_total{source="courier",class="3xx"}`,
	`newsflow_fetcher_http_requests_total{source="wire",class="error"}`,
	`newsflow_fetcher_http_requests_total{source="gazette",class="5xx"}`,
	`newsflow_fetcher_fetches_total{source="courier",outcome="robots"}`,
	`newsflow_fetcher_robots_refusals_total{source="courier"}`,
	`newsflow_fetcher_extraction_failures_total{source="courier",reason="no_content"}`,
	`newsflow_fetcher_fallbacks_total{source="courier"}`,
	`newsflow_fetcher_items_dead_lettered_total{source="courier",reason="robots"}`,
	`newsflow_fetcher_item_failures_total{source="wire",reason="network"}`,
	`newsflow_fetcher_items_dead_lettered_total{source="wire",reason="network"}`,
	`newsflow_fetcher_articles_total{source="courier",outcome="new"}`,
}

// promInstant is an instant query; it returns how many series hold a
// positive number.
func promInstant(base, expr string, at time.Time) (int, error) {
	q := url.Values{"query": {expr}, "time": {strconv.FormatInt(at.Unix(), 10)}}
	resp, err := http.Get(base + "/api/v1/query?" + q.Encode())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("%s", r.Error)
	}
	n := 0
	for _, s := range r.Data.Result {
		str, _ := s.Value[1].(string)
		if f, err := strconv.ParseFloat(str, 64); err == nil && f > 0 {
			n++
		}
	}
	return n, nil
}

// promLabelValues returns, sorted, the values of label among the series
// expr selects in a time range.
func promLabelValues(base, expr, label string, start, end time.Time) ([]string, error) {
	q := url.Values{"query": {expr}, "start": {strconv.FormatInt(start.Unix(), 10)},
		"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"1"}}
	resp, err := http.Get(base + "/api/v1/query_range?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	var vals []string
	for _, s := range r.Data.Result {
		if v := s.Metric[label]; v != "" && !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	sort.Strings(vals)
	return vals, nil
}

// promQuery is a range query against the Prometheus HTTP API.
func promQuery(base, expr string, start, end time.Time) (series int, values int, err error) {
	q := url.Values{"query": {expr}, "start": {strconv.FormatInt(start.Unix(), 10)},
		"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"2"}}
	resp, err := http.Get(base + "/api/v1/query_range?" + q.Encode())
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Values [][2]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, 0, err
	}
	if r.Status != "success" {
		return 0, 0, fmt.Errorf("%s", r.Error)
	}
	for _, s := range r.Data.Result {
		for _, v := range s.Values {
			str, _ := v[1].(string)
			if f, err := strconv.ParseFloat(str, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				values++
			}
		}
	}
	return len(r.Data.Result), values, nil
}

var (
	timeGroupAlias = regexp.MustCompile(`\$__timeGroupAlias\(([a-z_.]+), \$__interval\)`)
	timeFilter     = regexp.MustCompile(`\$__timeFilter\(([a-z_.]+)\)`)
)

// expandSQL expands the Grafana macros of the content dashboard's queries
// as Grafana's PostgreSQL data source does: the time range becomes $1 and
// $2, the interval one hour, the entity variable a quoted string.
func expandSQL(q, entity string) (string, bool) {
	q = timeGroupAlias.ReplaceAllString(q, `floor(extract(epoch from $1)/3600)*3600 AS "time"`)
	ranged := timeFilter.MatchString(q)
	q = timeFilter.ReplaceAllString(q, `$1 BETWEEN $$1 AND $$2`)
	q = strings.ReplaceAll(q, "${entity:sqlstring}", "'"+strings.ReplaceAll(entity, "'", "''")+"'")
	return q, ranged
}

// TestLivePrometheus runs the local stack (deploy/local/stack) on
// PostgreSQL under load, with an inbox and web sources (feeds on local
// test sites, one failing), scrapes it with a real Prometheus that loads
// the generated rules, and requires data for every dashboard panel and for
// the signal of every alert, every metric the queries name to be
// registered by a running stage, the source alerts pending for exactly the
// failing sources, and rows for every content query.
func TestLivePrometheus(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		unavailable(t, "prometheus is not installed")
	}
	if _, err := pgtest.Binaries(); err != nil {
		unavailable(t, "PostgreSQL server binaries: "+err.Error())
	}
	root := repoRoot(t)
	queries, err := AllQueries(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	pg, err := pgtest.StartCluster(ctx, "")
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	defer pg.Close()

	bodies := append(sampleBodies(t), stanceArticle)

	// Web sources: a news site whose feed grows (articles, pages robots.txt
	// disallows, scripted pages without article text), a wire service
	// whose article server resets every connection, and a gazette whose
	// feed answers 500.
	sites := map[string]*newsSite{
		"courier": startNewsSite(t, "The Eastmouth Courier", bodies, 0),
		"wire":    startNewsSite(t, "Northern Wire", bodies, 0),
		"gazette": startNewsSite(t, "The Westbury Gazette", bodies, http.StatusInternalServerError),
	}
	for n := 1; n <= 5; n++ {
		sites["courier"].publish(courierKind(n))
	}
	sites["wire"].publish(storyDown)
	sites["gazette"].publish(storyArticle)

	addrs := freeAddrs(t, 5) // NATS, fetcher, enricher, sink, Prometheus
	inbox := t.TempDir()
	cfg := stack.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Inbox = inbox
	cfg.Sources = sourcesFile(t, time.Second, sites)
	cfg.AllowHosts = []string{"127.0.0.1"}
	cfg.NATSPort = port(addrs[0])
	cfg.Database = pg.DSN()
	cfg.FetcherAddr, cfg.EnricherAddr, cfg.SinkAddr = addrs[1], addrs[2], addrs[3]
	cfg.LogLevel = "error"
	logFile, err := os.Create(filepath.Join(t.TempDir(), "stack.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cfg.Out, cfg.Log = io.Discard, logFile
	stackCtx, stopStack := context.WithCancel(ctx)
	stackDone := make(chan error, 1)
	go func() { stackDone <- stack.Run(stackCtx, cfg) }()
	defer func() {
		stopStack()
		if err := <-stackDone; err != nil && ctx.Err() == nil {
			t.Errorf("local stack: %v", err)
		}
	}()
	stageAddr := map[string]string{"fetcher": addrs[1], "enricher": addrs[2], "sink": addrs[3]}
	waitFor(t, "the three stages are ready", 60*time.Second, func() bool {
		for _, a := range stageAddr {
			if !httpOK("http://" + a + "/readyz") {
				return false
			}
		}
		return true
	})

	// Prometheus, scraping every second, with the generated rules.
	promDir := t.TempDir()
	var sc strings.Builder
	fmt.Fprintf(&sc, "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - %q\nscrape_configs:\n",
		filepath.Join(root, "deploy", "prometheus", "newsflow-rules.yaml"))
	for _, s := range stages {
		fmt.Fprintf(&sc, "  - job_name: newsflow-%s\n    static_configs:\n      - targets: [%q]\n", s, stageAddr[s])
	}
	if err := os.WriteFile(filepath.Join(promDir, "prometheus.yml"), []byte(sc.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	promLog, err := os.Create(filepath.Join(promDir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer promLog.Close()
	prom := exec.CommandContext(ctx, promBin, "--config.file="+filepath.Join(promDir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(promDir, "data"), "--web.listen-address="+addrs[4], "--log.level=warn")
	prom.Stdout, prom.Stderr = promLog, promLog
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = prom.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = prom.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = prom.Process.Kill()
			<-done
		}
	}()
	base := "http://" + addrs[4]
	waitFor(t, "Prometheus is ready", 60*time.Second, func() bool { return httpOK(base + "/-/ready") })
	checkRulesLoaded(t, base)

	// Load: inbox articles and poison, and new stories on the sites.
	l := &loader{inbox: inbox, natsURL: fmt.Sprintf("nats://%s", addrs[0]), bodies: bodies}
	start := time.Now()
	pubCtx, stopPublishing := context.WithCancel(ctx)
	go sites["courier"].publishEvery(pubCtx, 3*time.Second, courierKind)
	go sites["wire"].publishEvery(pubCtx, 5*time.Second, func(int) storyKind { return storyDown })
	l.run(ctx, t, loadDuration(t))
	stopPublishing()
	time.Sleep(5 * time.Second) // the last scrapes and rule evaluations
	end := time.Now()
	notModified, _ := sites["courier"].counts()
	t.Logf("fed %d articles and poison every 12s for %v; %d courier stories (%d feed polls answered 304), %d wire stories",
		l.n.Load(), end.Sub(start).Round(time.Second), sites["courier"].published(), notModified, sites["wire"].published())

	// Every metric a query names is registered by a running stage.
	types := map[string]string{}
	for _, s := range stages {
		for k, v := range metricTypes(t, "http://"+stageAddr[s]+"/metrics") {
			types[k] = v
		}
	}
	usedExporter := map[string]bool{}
	for _, q := range queries {
		if q.Lang != "promql" {
			continue
		}
		names, err := promql.Metrics(q.Expr)
		if err != nil {
			t.Errorf("%s: %v", q.Where, err)
			continue
		}
		for _, n := range names {
			switch {
			case promql.Registered(n, types), PrometheusMetrics[n]:
			case ExporterMetrics[n]:
				usedExporter[n] = true
			default:
				t.Errorf("%s: no running stage registers %s", q.Where, n)
			}
		}
	}
	for n := range ExporterMetrics {
		if !usedExporter[n] {
			t.Errorf("exporter allow-list: %s is used by no query", n)
		}
	}

	// Every panel and every alert signal has data.
	checked, exporterOnly := 0, 0
	for _, q := range queries {
		if q.Lang != "promql" {
			continue
		}
		names, _ := promql.Metrics(q.Expr)
		onlyExporter := len(names) > 0
		for _, n := range names {
			onlyExporter = onlyExporter && ExporterMetrics[n]
		}
		if onlyExporter {
			exporterOnly++
			t.Logf("not checked live (prometheus-nats-exporter metrics; no exporter runs here): %s: %s", q.Where, q.Expr)
			continue
		}
		exprs := []string{promql.Expand(q.Expr)}
		if q.Alert {
			if _, _, err := promQuery(base, promql.Expand(q.Expr), start, end); err != nil {
				t.Errorf("%s: alert expression does not evaluate: %v", q.Where, err)
			}
			if exprs, err = promql.Signals(q.Expr); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range exprs {
			checked++
			series, values, err := promQuery(base, e, start, end)
			switch {
			case err != nil:
				t.Errorf("%s: %s: %v", q.Where, e, err)
			case values == 0:
				t.Errorf("%s: no data for %s (%d series, all empty or NaN)", q.Where, e, series)
			}
		}
	}
	t.Logf("%d PromQL queries and alert signals returned data; %d exporter-only queries checked by name", checked, exporterOnly)

	// The sources did what they are there for: each outcome the web panels
	// show has its series.
	for _, sel := range webSeries {
		if n, err := promInstant(base, fmt.Sprintf("count(%s)", sel), end); err != nil || n == 0 {
			t.Errorf("no series %s (err %v): the web sources did not exercise it", sel, err)
		}
	}
	// The source alerts single out the failing sources: they are pending
	// (their "for" is longer than the check) for those and no other.
	for alert, want := range map[string][]string{
		"NewsflowSourceFailing":      {"gazette"},
		"NewsflowSourceItemsFailing": {"wire"},
	} {
		got, err := promLabelValues(base, fmt.Sprintf(`ALERTS{alertname=%q}`, alert), "source", start, end)
		if err != nil {
			t.Errorf("%s: %v", alert, err)
		} else if !slices.Equal(got, want) {
			t.Errorf("%s was pending or firing for sources %v, want %v", alert, got, want)
		}
	}

	// Every content query returns rows from the sink's PostgreSQL tables.
	checkContentQueries(t, ctx, pg.DSN(), queries)
}

func checkRulesLoaded(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name   string `json:"name"`
					Health string `json:"health"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range r.Data.Groups {
		n += len(g.Rules)
	}
	if want := len(rules.Newsflow().Alerts()); n != want {
		t.Fatalf("Prometheus loaded %d rules, the rule file has %d", n, want)
	}
}

func checkContentQueries(t *testing.T, ctx context.Context, dsn string, queries []Query) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var entity string
	if err := conn.QueryRow(ctx, `SELECT target FROM stances GROUP BY target ORDER BY count(*) DESC, target LIMIT 1`).Scan(&entity); err != nil {
		t.Fatalf("no stances stored, the stance panels would be empty: %v", err)
	}
	from, to := time.Now().Add(-30*24*time.Hour), time.Now().Add(24*time.Hour)
	n := 0
	for _, q := range queries {
		if q.Lang != "sql" {
			continue
		}
		sql, ranged := expandSQL(q.Expr, entity)
		var args []any
		if ranged {
			args = []any{from, to}
		}
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			t.Errorf("%s: %v\n%s", q.Where, err, sql)
			continue
		}
		count := 0
		for rows.Next() {
			count++
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", q.Where, err)
		}
		rows.Close()
		if count == 0 {
			t.Errorf("%s: no rows (entity %s)", q.Where, entity)
		}
		n++
	}
	if n == 0 {
		t.Error("no SQL queries in the dashboards")
	}
	t.Logf("%d content queries returned rows (entity %s)", n, entity)
}
