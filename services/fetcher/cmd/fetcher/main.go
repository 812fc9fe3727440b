// Command fetcher runs the newsflow fetcher stage (`fetcher [flags]`), and
// the commands `fetcher probe [flags] URL` and `fetcher extract [flags] <
// page.html`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/newsflow/newsflow/services/fetcher"
)

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := fetcher.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, version)
	stop()
	os.Exit(code)
}
