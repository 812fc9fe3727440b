module github.com/newsflow/newsflow/services/enricher

go 1.26.0

require (
	github.com/newsflow/newsflow/pkg/events v0.0.0
	github.com/newsflow/newsflow/pkg/stage v0.0.0
)

require (
	github.com/jonreiter/govader v0.0.0-20250429093935-f6505c8d03cc // indirect
	gonum.org/v1/gonum v0.8.2 // indirect
)

replace github.com/newsflow/newsflow/pkg/events => ../../pkg/events

replace github.com/newsflow/newsflow/pkg/stage => ../../pkg/stage
