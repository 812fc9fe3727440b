module github.com/newsflow/newsflow/services/enricher

go 1.26

require (
	github.com/newsflow/newsflow/pkg/events v0.0.0
	github.com/newsflow/newsflow/pkg/stage v0.0.0
)

replace github.com/newsflow/newsflow/pkg/events => ../../pkg/events

replace github.com/newsflow/newsflow/pkg/stage => ../../pkg/stage
