// Command feedsrv serves the generated news site of the end-to-end tests
// (see package feedsrv): a feed, article pages and hostile endpoints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/newsflow/newsflow/test/e2e/internal/feedsrv"
)

func main() {
	c := feedsrv.DefaultConfig()
	addr := flag.String("addr", ":8080", "listen address")
	flag.StringVar(&c.Base, "base", c.Base, "URL the fetcher reaches this server at")
	flag.IntVar(&c.Window, "window", c.Window, "newest offered articles listed in the feed")
	flag.IntVar(&c.Offered, "offered", c.Offered, "articles offered at start")
	flag.IntVar(&c.Limit, "limit", c.Limit, "highest offer /admin/offer accepts")
	flag.Int64Var(&c.EndlessBytes, "endless-bytes", c.EndlessBytes, "cap of the endless responses")
	flag.Int64Var(&c.BombBytes, "bomb-bytes", c.BombBytes, "decompressed size of the gzip bombs")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := feedsrv.New(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "feedsrv:", err)
		os.Exit(2)
	}
	slog.Info("feedsrv listening", "addr", *addr, "base", c.Base, "offered", c.Offered)
	if err := feedsrv.ListenAndServe(ctx, *addr, s.Handler()); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "feedsrv:", err)
		os.Exit(1)
	}
}
