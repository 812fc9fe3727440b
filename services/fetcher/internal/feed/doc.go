// Package feed turns fetched documents into items: RSS 2.0, RSS 1.0, Atom
// and JSON Feed through github.com/mmcdole/gofeed, and XML sitemaps,
// sitemap indexes, Google News sitemaps and plain-text sitemaps through a
// streaming encoding/xml reader with a cap on URLs.
//
// [Detect] says what a document is from its Content-Type and its first
// bytes; [ParseFeed] and [ParseSitemap] parse one document; [WalkSitemaps]
// follows a sitemap index to its sitemaps. Links come out absolute, text
// comes out as UTF-8 whatever the document's charset.
package feed
