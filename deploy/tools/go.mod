module github.com/newsflow/newsflow/deploy/tools

go 1.26.0

require (
	github.com/newsflow/newsflow/deploy/local v0.0.0
	github.com/newsflow/newsflow/pkg/events v0.0.0
	github.com/newsflow/newsflow/pkg/stage v0.0.0
	github.com/newsflow/newsflow/services/enricher v0.0.0
	github.com/newsflow/newsflow/services/fetcher v0.0.0
	github.com/newsflow/newsflow/services/sink v0.0.0
)

replace github.com/newsflow/newsflow/pkg/events => ../../pkg/events

replace github.com/newsflow/newsflow/pkg/stage => ../../pkg/stage

replace github.com/newsflow/newsflow/services/fetcher => ../../services/fetcher

replace github.com/newsflow/newsflow/services/enricher => ../../services/enricher

replace github.com/newsflow/newsflow/services/sink => ../../services/sink

replace github.com/newsflow/newsflow/deploy/local => ../../deploy/local
