// Package web is the fetcher's HTTP client: it fetches feeds, sitemaps and
// pages from the public web safely and politely.
//
// Safety: every connection, including every redirect hop and every
// robots.txt fetch, passes an SSRF guard at dial time that refuses private,
// loopback, link-local, CGNAT, multicast, unspecified and cloud metadata
// addresses unless they are allow-listed; responses are size-capped before
// and after decompression; connect, TLS, header, idle-read and total
// timeouts bound every request.
//
// Politeness: robots.txt is honoured per host (cached with a TTL), each host
// has a rate limit and a concurrency limit, 429 and 5xx answers put the host
// in a cool-down that honours Retry-After, and conditional GETs reuse the
// ETag and Last-Modified validators kept in a [Validators] store.
//
// Errors are classified with sentinel values ([ErrRefused], [ErrRobots],
// [ErrTooLarge], [ErrStatus], ...) checked with errors.Is; [Reason] maps an
// error to a short label for metrics and [Retryable] says whether trying
// again later can help.
package web
