// Package bench measures the pipeline. Micro benchmarks live next to the
// code they measure; this module holds the pipeline load test
// (cmd/pipeline, `make bench-pipeline`) and the generator of
// docs/BENCHMARKS.md and its plots (cmd/report, `make bench`).
package bench
