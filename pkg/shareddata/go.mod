module github.com/newsflow/newsflow/pkg/shareddata

go 1.26.0
