// Command newsctl is the operator's command line for a running newsflow:
// status, tail, dlq list|show|requeue|purge, replay, consumer add.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/newsflow/newsflow/tools/newsctl/internal/ctl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ctl.Main(ctx, os.Args[1:], ctl.IO{Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
