package postgres_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/services/sink/internal/store/storetest"
	"github.com/newsflow/newsflow/services/sink/pgtest"
)

// The content dashboard's queries, in Grafana's PostgreSQL syntax, as
// docs/decisions/0003-storage.md gives them.
const (
	articlesPerSource = `SELECT $__timeGroupAlias(article_time, $__interval), source AS metric, count(*) AS articles
FROM articles
WHERE $__timeFilter(article_time)
GROUP BY 1, 2
ORDER BY 1, 2`

	topEntities = `SELECT e.name, e.type, count(*) AS articles, sum(ae.mention_count) AS mentions,
       avg(ae.score) AS mean_score
FROM article_entities ae
JOIN entities e ON e.key = ae.entity_key
WHERE $__timeFilter(ae.article_time)
GROUP BY e.key, e.name, e.type
ORDER BY articles DESC, e.name
LIMIT 20`

	entitySentiment = `SELECT $__timeGroupAlias(article_time, $__interval),
       avg(score) AS mean_score,
       count(*) FILTER (WHERE polarity = 'negative') AS negative,
       count(*) FILTER (WHERE polarity = 'neutral') AS neutral,
       count(*) FILTER (WHERE polarity = 'positive') AS positive
FROM article_entities
WHERE entity_key IN (${entity:sqlstring}) AND $__timeFilter(article_time)
GROUP BY 1
ORDER BY 1`

	stanceTowardEntity = `SELECT $__timeGroupAlias(article_time, $__interval), stance AS metric, count(*) AS stances
FROM stances
WHERE target IN (${entity:sqlstring}) AND $__timeFilter(article_time)
GROUP BY 1, 2
ORDER BY 1, 2`

	holdersTowardEntity = `SELECT coalesce(e.name, min(s.holder_name)) AS holder,
       count(*) FILTER (WHERE s.stance = 'support') AS support,
       count(*) FILTER (WHERE s.stance = 'oppose') AS oppose,
       count(*) FILTER (WHERE s.stance = 'neutral') AS neutral
FROM stances s
LEFT JOIN entities e ON e.key = s.holder
WHERE s.target IN (${entity:sqlstring}) AND $__timeFilter(s.article_time)
GROUP BY s.holder, e.name
ORDER BY count(*) DESC, holder
LIMIT 20`
)

// grafana expands the macros as Grafana does, with the window as $1 and $2
// and one hour as the interval.
func grafana(query, entity string) string {
	query = regexp.MustCompile(`\$__timeGroupAlias\(([a-z_.]+), \$__interval\)`).
		ReplaceAllString(query, `floor(extract(epoch from $1)/3600)*3600 AS "time"`)
	query = regexp.MustCompile(`\$__timeFilter\(([a-z_.]+)\)`).ReplaceAllString(query, `$1 BETWEEN $$1 AND $$2`)
	return strings.ReplaceAll(query, "${entity:sqlstring}", "'"+strings.ReplaceAll(entity, "'", "''")+"'")
}

func TestGrafanaQueriesAreDocumented(t *testing.T) {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		if dir == filepath.Dir(dir) {
			t.Skip("no go.work above the test: not in the repository")
		}
	}
	doc, err := os.ReadFile(filepath.Join(dir, "docs", "decisions", "0003-storage.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{articlesPerSource, topEntities, entitySentiment, stanceTowardEntity, holdersTowardEntity} {
		if !strings.Contains(string(doc), q) {
			t.Errorf("docs/decisions/0003-storage.md lacks the query\n%s", q)
		}
	}
}

func TestGrafanaQueries(t *testing.T) {
	dsn := pgtest.Start(t)
	s := open(t, dsn)
	ctx := t.Context()
	all := storetest.Articles(0, 180, 0)
	if err := s.Upsert(ctx, all); err != nil {
		t.Fatal(err)
	}
	// The window holds articles 30 to 149: their article_time is their
	// publication time, Base - 1h + n minutes.
	from := storetest.Base.Add(-time.Hour + 30*time.Minute)
	to := storetest.Base.Add(-time.Hour + 149*time.Minute)
	var window []events.EnrichedArticle
	for _, a := range all {
		if p := *a.Article.PublishedAt; !p.Before(from) && !p.After(to) {
			window = append(window, a)
		}
	}
	if len(window) != 120 {
		t.Fatalf("window has %d articles, want 120", len(window))
	}
	bucket := func(a events.EnrichedArticle) int64 { return a.Article.PublishedAt.Unix() / 3600 * 3600 }
	const entity = "location:russia"

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows := func(t *testing.T, query string) []string {
		t.Helper()
		r, err := conn.Query(ctx, grafana(query, entity), from, to)
		if err != nil {
			t.Fatalf("%s: %v", grafana(query, entity), err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			vals, err := r.Values()
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			for _, v := range vals {
				switch x := v.(type) {
				case float64:
					v = math.Round(x*1e6) / 1e6
				case pgtype.Numeric: // the time buckets
					f, err := x.Float64Value()
					if err != nil {
						t.Fatal(err)
					}
					v = int64(f.Float64)
				}
				cols = append(cols, fmt.Sprint(v))
			}
			out = append(out, strings.Join(cols, " "))
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(t *testing.T, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	t.Run("articles per source", func(t *testing.T) {
		counts := map[string]int{}
		for _, a := range window {
			counts[fmt.Sprintf("%d %s", bucket(a), a.Article.Source)]++
		}
		var want []string
		for k, n := range counts {
			want = append(want, fmt.Sprintf("%s %d", k, n))
		}
		slices.Sort(want)
		check(t, rows(t, articlesPerSource), want)
	})

	t.Run("top entities", func(t *testing.T) {
		type agg struct {
			name, typ          string
			articles, mentions int
			score              float64
			scored             int
		}
		byKey := map[string]*agg{}
		for _, a := range window {
			for _, e := range a.Entities {
				g := byKey[e.Key]
				if g == nil {
					g = &agg{name: e.Name, typ: e.Type}
					byKey[e.Key] = g
				}
				g.articles++
				g.mentions += len(e.Mentions)
				if e.Sentiment != nil {
					g.score += e.Sentiment.Score
					g.scored++
				}
			}
		}
		var aggs []*agg
		for _, g := range byKey {
			aggs = append(aggs, g)
		}
		slices.SortFunc(aggs, func(a, b *agg) int {
			if a.articles != b.articles {
				return b.articles - a.articles
			}
			return strings.Compare(a.name, b.name)
		})
		var want []string
		for _, g := range aggs[:20] {
			mean := "<nil>"
			if g.scored > 0 {
				mean = fmt.Sprint(math.Round(g.score/float64(g.scored)*1e6) / 1e6)
			}
			want = append(want, fmt.Sprintf("%s %s %d %d %s", g.name, g.typ, g.articles, g.mentions, mean))
		}
		check(t, rows(t, topEntities), want)
	})

	t.Run("sentiment toward one entity", func(t *testing.T) {
		type agg struct {
			sum              float64
			n, neg, neu, pos int
		}
		byBucket := map[int64]*agg{}
		for _, a := range window {
			for _, e := range a.Entities {
				if e.Key != entity {
					continue
				}
				g := byBucket[bucket(a)]
				if g == nil {
					g = &agg{}
					byBucket[bucket(a)] = g
				}
				if s := e.Sentiment; s != nil {
					g.sum += s.Score
					g.n++
					switch s.Polarity {
					case events.Negative:
						g.neg++
					case events.Neutral:
						g.neu++
					case events.Positive:
						g.pos++
					}
				}
			}
		}
		var want []string
		for b, g := range byBucket {
			mean := "<nil>"
			if g.n > 0 {
				mean = fmt.Sprint(math.Round(g.sum/float64(g.n)*1e6) / 1e6)
			}
			want = append(want, fmt.Sprintf("%d %s %d %d %d", b, mean, g.neg, g.neu, g.pos))
		}
		slices.Sort(want)
		if len(want) == 0 {
			t.Fatal("fixtures never mention the entity")
		}
		check(t, rows(t, entitySentiment), want)
	})

	target := func(f func(a events.EnrichedArticle, s events.Stance)) {
		for _, a := range window {
			for _, s := range a.Stances {
				if s.Target == entity {
					f(a, s)
				}
			}
		}
	}
	t.Run("stance toward one entity", func(t *testing.T) {
		counts := map[string]int{}
		target(func(a events.EnrichedArticle, s events.Stance) { counts[fmt.Sprintf("%d %s", bucket(a), s.Stance)]++ })
		var want []string
		for k, n := range counts {
			want = append(want, fmt.Sprintf("%s %d", k, n))
		}
		slices.Sort(want)
		if len(want) == 0 {
			t.Fatal("fixtures have no stance toward the entity")
		}
		check(t, rows(t, stanceTowardEntity), want)
	})

	t.Run("holders toward one entity", func(t *testing.T) {
		type agg struct {
			name               string
			sup, opp, neu, all int
		}
		byHolder := map[string]*agg{}
		target(func(_ events.EnrichedArticle, s events.Stance) {
			g := byHolder[s.Holder]
			if g == nil {
				g = &agg{name: s.HolderName}
				byHolder[s.Holder] = g
			}
			g.all++
			switch s.Stance {
			case events.Support:
				g.sup++
			case events.Oppose:
				g.opp++
			case events.NeutralStance:
				g.neu++
			}
		})
		var aggs []*agg
		for _, g := range byHolder {
			aggs = append(aggs, g)
		}
		slices.SortFunc(aggs, func(a, b *agg) int {
			if a.all != b.all {
				return b.all - a.all
			}
			return strings.Compare(a.name, b.name)
		})
		var want []string
		for _, g := range aggs {
			want = append(want, fmt.Sprintf("%s %d %d %d", g.name, g.sup, g.opp, g.neu))
		}
		check(t, rows(t, holdersTowardEntity), want)
	})

	// Each query can be served by its index, so it stays fast on a large
	// table (the planner may still choose otherwise on a small one).
	t.Run("indexes", func(t *testing.T) {
		if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.Exec(context.Background(), "RESET enable_seqscan")
		for _, tc := range []struct {
			query   string
			indexes []string
		}{
			{articlesPerSource, []string{"articles_time", "articles_source_time"}},
			{topEntities, []string{"article_entities_time"}},
			{entitySentiment, []string{"article_entities_entity_time"}},
			{stanceTowardEntity, []string{"stances_target_time"}},
			{holdersTowardEntity, []string{"stances_target_time"}},
		} {
			r, err := conn.Query(ctx, "EXPLAIN "+grafana(tc.query, entity), from, to)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := pgx.CollectRows(r, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			p := strings.Join(plan, "\n")
			if !slices.ContainsFunc(tc.indexes, func(ix string) bool { return strings.Contains(p, " "+ix+" ") }) {
				t.Errorf("plan of\n%s\nuses none of %v:\n%s", tc.query, tc.indexes, p)
			}
		}
	})
}
