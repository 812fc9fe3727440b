package dashboards

import (
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// SQLQuery is a query of Grafana's PostgreSQL data source, which the SDK
// has no type for.
type SQLQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	RawSQL     string                `json:"rawSql"`
	// Format is "time_series" or "table".
	Format     string `json:"format"`
	RawQuery   bool   `json:"rawQuery"`
	EditorMode string `json:"editorMode"`
}

// ImplementsDataqueryVariant marks SQLQuery as a data query.
func (SQLQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the data source plugin's ID.
func (SQLQuery) DataqueryType() string { return postgresType }

// Validate reports nothing: the SQL is checked against PostgreSQL by the
// deploy checks.
func (SQLQuery) Validate() error { return nil }

// Equals compares two queries.
func (q SQLQuery) Equals(other variants.Dataquery) bool { return reflect.DeepEqual(q, other) }

type sqlBuilder struct{ q SQLQuery }

func (b sqlBuilder) Build() (variants.Dataquery, error) { return b.q, nil }

func sql(refID, format, query string) cog.Builder[variants.Dataquery] {
	ds := postgresDS
	return sqlBuilder{SQLQuery{RefID: refID, Datasource: &ds, RawSQL: query, Format: format, RawQuery: true, EditorMode: "code"}}
}

// The queries of docs/decisions/0003-storage.md, tested against PostgreSQL
// with their indexes by services/sink/internal/store/postgres.
const (
	// EntityVariable lists the entities for the entity variable.
	EntityVariable = `SELECT key AS __value, name AS __text FROM entities ORDER BY name`

	ArticlesPerSource = `SELECT $__timeGroupAlias(article_time, $__interval), source AS metric, count(*) AS articles
FROM articles
WHERE $__timeFilter(article_time)
GROUP BY 1, 2
ORDER BY 1, 2`

	TopEntities = `SELECT e.name, e.type, count(*) AS articles, sum(ae.mention_count) AS mentions,
       avg(ae.score) AS mean_score
FROM article_entities ae
JOIN entities e ON e.key = ae.entity_key
WHERE $__timeFilter(ae.article_time)
GROUP BY e.key, e.name, e.type
ORDER BY articles DESC, e.name
LIMIT 20`

	EntitySentiment = `SELECT $__timeGroupAlias(article_time, $__interval),
       avg(score) AS mean_score,
       count(*) FILTER (WHERE polarity = 'negative') AS negative,
       count(*) FILTER (WHERE polarity = 'neutral') AS neutral,
       count(*) FILTER (WHERE polarity = 'positive') AS positive
FROM article_entities
WHERE entity_key IN (${entity:sqlstring}) AND $__timeFilter(article_time)
GROUP BY 1
ORDER BY 1`

	StanceTowardEntity = `SELECT $__timeGroupAlias(article_time, $__interval), stance AS metric, count(*) AS stances
FROM stances
WHERE target IN (${entity:sqlstring}) AND $__timeFilter(article_time)
GROUP BY 1, 2
ORDER BY 1, 2`

	HoldersOfEntity = `SELECT coalesce(e.name, min(s.holder_name)) AS holder,
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

// Content is the readers' dashboard on the sink's PostgreSQL tables:
// articles per source, top entities, and how articles treat a chosen entity.
func Content() (dashboard.Dashboard, error) {
	entityQuery := EntityVariable
	return dashboard.NewDashboardBuilder("newsflow / content").
		Uid("newsflow-content").
		Description("What newsflow stored: articles per source, the most mentioned entities, and how articles treat one entity over time.").
		Tags([]string{"newsflow", "generated"}).
		Refresh("5m").Time("now-7d", "now").Timezone(common.TimeZoneBrowser).
		WithVariable(dashboard.NewDatasourceVariableBuilder("postgres").Label("PostgreSQL").Type(postgresType)).
		WithVariable(dashboard.NewQueryVariableBuilder("entity").Label("Entity").
			Description("The entity whose treatment the lower panels show.").
			Datasource(postgresDS).
			Query(dashboard.StringOrMap{String: &entityQuery}).Definition(entityQuery).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).Sort(dashboard.VariableSortAlphabeticalAsc)).
		WithRow(dashboard.NewRowBuilder("Articles and entities")).
		WithPanel(timeseries.NewPanelBuilder().Title("Articles per source").
			Description("Articles stored per source, by publication time (fetch time when unknown).").
			Datasource(postgresDS).Unit("short").Height(9).Span(24).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
			WithTarget(sql("A", "time_series", ArticlesPerSource))).
		WithPanel(table.NewPanelBuilder().Title("Top entities").
			Description("The 20 entities in the most articles of the time range, with mentions and mean sentiment score.").
			Datasource(postgresDS).Height(10).Span(24).
			WithTarget(sql("A", "table", TopEntities))).
		WithRow(dashboard.NewRowBuilder("How articles treat ${entity}")).
		WithPanel(timeseries.NewPanelBuilder().Title("Sentiment toward ${entity}").
			Description("Articles mentioning the entity by polarity, and the mean score (-1 to 1).").
			Datasource(postgresDS).Unit("short").Height(9).Span(12).
			WithTarget(sql("A", "time_series", EntitySentiment))).
		WithPanel(timeseries.NewPanelBuilder().Title("Stances taken toward ${entity}").
			Description("Stances whose target is the entity, by stance: support, oppose, neutral.").
			Datasource(postgresDS).Unit("short").Height(9).Span(12).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).
			Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
			WithTarget(sql("A", "time_series", StanceTowardEntity))).
		WithPanel(table.NewPanelBuilder().Title("Who backs or opposes ${entity}").
			Description("Holders of stances toward the entity, most active first.").
			Datasource(postgresDS).Height(9).Span(24).
			WithTarget(sql("A", "table", HoldersOfEntity))).
		Build()
}
