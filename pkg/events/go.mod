module github.com/newsflow/newsflow/pkg/events

go 1.26

require (
	github.com/segmentio/encoding v0.5.4 // indirect
	golang.org/x/text v0.43.0 // indirect
)
