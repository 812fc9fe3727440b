package feed_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/newsflow/newsflow/services/fetcher/internal/feed"
	"github.com/newsflow/newsflow/services/fetcher/internal/web"
)

// Example shows how a source poll uses web and feed together: fetch with a
// conditional GET, detect what came back, parse feeds in memory and walk
// sitemaps as streams.
func Example() {
	client, err := web.New(web.Config{UserAgent: "newsflow/1.0 (+https://github.com/newsflow/newsflow)"},
		web.WithValidators(&web.MemoryValidators{}))
	if err != nil {
		panic(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	resp, err := client.Fetch(ctx, "https://news.example.com/rss.xml", web.ForSource("ledger"), web.DeferValidators())
	if err != nil {
		// errors.Is(err, web.ErrNotModified): nothing new; web.Reason(err)
		// labels the outcome; web.Retryable(err) says whether to try later.
		return
	}
	switch kind := feed.Detect(resp.Header.Get("Content-Type"), resp.Body); {
	case kind.IsFeed():
		f, err := feed.ParseFeed(resp.Body, resp.Header.Get("Content-Type"), resp.URL)
		if err != nil {
			return
		}
		for _, it := range f.Items {
			fmt.Println(it.Link, it.Title)
		}
	case kind.IsSitemap():
		open := func(ctx context.Context, u string) (io.ReadCloser, string, error) {
			r, body, err := client.Open(ctx, u, web.ForSource("ledger"), web.WithMaxBytes(64<<20))
			if err != nil {
				return nil, "", err
			}
			return body, r.URL, nil
		}
		_ = feed.WalkSitemaps(ctx, open, resp.URL, feed.WalkOptions{}, func(u feed.SitemapURL) error {
			fmt.Println(u.Item().Link)
			return nil
		})
	}
	// Once the items are published, remember the validators.
	_ = client.SaveValidators(ctx, resp)
}
