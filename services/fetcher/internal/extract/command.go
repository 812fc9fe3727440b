package extract

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// commandOutput is the JSON object RunCommand prints.
type commandOutput struct {
	URL          string  `json:"url"`
	CanonicalURL string  `json:"canonical_url,omitempty"`
	Title        string  `json:"title"`
	Text         string  `json:"text"`
	Byline       string  `json:"byline"`
	PublishedAt  *string `json:"published_at"`
	Language     string  `json:"language"`
	SiteName     string  `json:"site_name,omitempty"`
}

// RunCommand implements `fetcher extract [flags] < page.html`: it reads one
// saved HTML page from stdin and prints the article as one JSON object
// {"url","title","text","byline","published_at","language"} (plus
// "canonical_url" and "site_name" when known) on stdout. Usage and flag
// errors go to stderr. It returns ErrNoContent (wrapped) when the page holds
// no article, and flag.ErrHelp for -h.
func RunCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts      Options
		extractor string
	)
	fs.StringVar(&opts.URL, "url", "", "address the page was fetched from (resolves relative canonical links)")
	fs.StringVar(&opts.ContentType, "content-type", "", "HTTP Content-Type header the page came with (its charset wins over the page's)")
	fs.IntVar(&opts.MaxBytes, "max-bytes", DefaultMaxBytes, "input beyond this many bytes is ignored")
	fs.StringVar(&extractor, "extractor", Combined.String(), "main-text algorithm: combined, trafilatura or readability")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fetcher extract [flags] < page.html")
		fmt.Fprintln(stderr, "Prints the article found in one saved HTML page as a JSON object.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("extract: unexpected arguments %q", fs.Args())
	}
	var err error
	if opts.Extractor, err = ParseExtractor(extractor); err != nil {
		return err
	}
	if opts.MaxBytes <= 0 {
		return errors.New("extract: -max-bytes must be positive")
	}
	page, err := io.ReadAll(io.LimitReader(stdin, int64(opts.MaxBytes)+1))
	if err != nil {
		return fmt.Errorf("extract: read page: %w", err)
	}
	art, err := Extract(page, opts)
	if err != nil {
		return err
	}
	out := commandOutput{
		URL: art.URL, CanonicalURL: art.CanonicalURL, Title: art.Title, Text: art.Text,
		Byline: art.Byline, Language: art.Language, SiteName: art.SiteName,
	}
	if art.PublishedAt != nil {
		s := art.PublishedAt.Format(time.RFC3339)
		out.PublishedAt = &s
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("extract: write: %w", err)
	}
	return nil
}
