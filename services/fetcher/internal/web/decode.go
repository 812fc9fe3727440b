package web

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
)

// capReader reads at most n bytes from r; when r has more, Read fails with
// err instead of silently truncating.
type capReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.n <= 0 {
		// At the cap: one more byte means the body is too large.
		var b [1]byte
		for range 100 {
			k, err := c.r.Read(b[:])
			if k > 0 {
				return 0, c.err
			}
			if err != nil {
				return 0, err
			}
		}
		return 0, io.ErrNoProgress
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	k, err := c.r.Read(p)
	c.n -= int64(k)
	return k, err
}

// maxEncodingLayers bounds stacked Content-Encodings ("gzip, br").
const maxEncodingLayers = 2

// decodeBody returns the decoded body of a response with the given
// Content-Encoding. Both the bytes read from body and the bytes produced by
// decompression are capped at max: a larger body or a decompression bomb
// fails with ErrTooLarge after at most max bytes of each, so memory stays
// bounded.
func decodeBody(body io.Reader, contentEncoding string, max int64) (io.Reader, error) {
	var r io.Reader = &capReader{r: body, n: max, err: fmt.Errorf("%w: more than %d bytes received", ErrTooLarge, max)}
	var encs []string
	for _, e := range strings.Split(contentEncoding, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && e != "identity" {
			encs = append(encs, e)
		}
	}
	if len(encs) == 0 {
		return r, nil
	}
	if len(encs) > maxEncodingLayers {
		return nil, fmt.Errorf("%w: %d stacked encodings %q", ErrEncoding, len(encs), contentEncoding)
	}
	// Encodings are listed in the order they were applied: undo the last first.
	for i := len(encs) - 1; i >= 0; i-- {
		switch encs[i] {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(r)
			if errors.Is(err, io.EOF) {
				return strings.NewReader(""), nil // empty body
			}
			if err != nil {
				return nil, fmt.Errorf("%w: bad gzip body: %w", ErrEncoding, err)
			}
			r = zr
		case "deflate":
			// HTTP deflate is zlib-wrapped, but some servers send raw deflate.
			br := bufio.NewReader(r)
			head, err := br.Peek(2)
			if len(head) == 0 && errors.Is(err, io.EOF) {
				return strings.NewReader(""), nil
			}
			if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
				zr, err := zlib.NewReader(br)
				if err != nil {
					return nil, fmt.Errorf("%w: bad deflate body: %w", ErrEncoding, err)
				}
				r = zr
			} else {
				r = flate.NewReader(br)
			}
		case "br":
			r = brotli.NewReader(r)
		default:
			return nil, fmt.Errorf("%w: %q", ErrEncoding, encs[i])
		}
	}
	return &capReader{r: r, n: max, err: fmt.Errorf("%w: more than %d bytes after %s decompression (a decompression bomb?)", ErrTooLarge, max, strings.Join(encs, "+"))}, nil
}
