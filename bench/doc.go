// Package bench measures the pipeline: micro benchmarks are next to the code,
// the pipeline load generator is here (see docs/BENCHMARKS.md).
package bench
