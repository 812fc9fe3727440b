package feed

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchFeed builds an RSS feed of n items shaped like a news site's.
func benchFeed(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Bench</title><link>https://news.example.com/</link>`)
	for i := range n {
		fmt.Fprintf(&b, `<item><title><![CDATA[Headline number %d &amp; more]]></title><link>/world/2025/03/05/story-%d</link>`+
			`<description><![CDATA[<p>Summary of story %d with <b>markup</b>.</p>]]></description>`+
			`<content:encoded><![CDATA[%s]]></content:encoded><dc:creator>Reporter %d</dc:creator>`+
			`<pubDate>Wed, 05 Mar 2025 10:%02d:00 GMT</pubDate><guid isPermaLink="false">story-%d</guid></item>`,
			i, i, i, strings.Repeat("<p>Paragraph of article text, long enough to look real.</p>", 20), i%50, i%60, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

func BenchmarkParseFeed(b *testing.B) {
	body := benchFeed(200)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	items := 0
	for b.Loop() {
		f, err := ParseFeed(body, "application/rss+xml", "https://news.example.com/rss")
		if err != nil {
			b.Fatal(err)
		}
		items += len(f.Items)
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkParseSitemap(b *testing.B) {
	var buf bytes.Buffer
	io.Copy(&buf, newSitemapStream(10_000))
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	urls := 0
	for b.Loop() {
		sm, err := ParseSitemap(bytes.NewReader(body), SitemapOptions{})
		if err != nil {
			b.Fatal(err)
		}
		urls += len(sm.URLs)
	}
	b.ReportMetric(float64(urls)/b.Elapsed().Seconds(), "urls/s")
}
