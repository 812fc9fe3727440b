package web

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// encodeForTest compresses data as the Content-Encoding enc would
// ("deflate-raw" is raw deflate sent as "deflate").
func encodeForTest(t testing.TB, enc string, data []byte) []byte {
	t.Helper()
	var layers []string
	for _, e := range strings.Split(enc, ",") {
		if e = strings.TrimSpace(e); e != "" && e != "identity" {
			layers = append(layers, e)
		}
	}
	for _, e := range layers {
		var buf bytes.Buffer
		var w io.WriteCloser
		switch e {
		case "gzip", "x-gzip":
			w = gzip.NewWriter(&buf)
		case "deflate":
			w = zlib.NewWriter(&buf)
		case "deflate-raw":
			w, _ = flate.NewWriter(&buf, flate.DefaultCompression)
		case "br":
			w = brotli.NewWriter(&buf)
		default:
			t.Fatalf("unknown encoding %q", e)
		}
		w.Write(data)
		w.Close()
		data = buf.Bytes()
	}
	return data
}

func TestDecodeBodyCaps(t *testing.T) {
	data := bytes.Repeat([]byte("a"), 10000)
	tests := []struct {
		name    string
		enc     string
		max     int64
		wantErr string
	}{
		{"plain under cap", "", 10000, ""},
		{"plain over cap", "", 9999, "bytes received"},
		{"gzip under cap", "gzip", 10000, ""},
		{"gzip expands over cap", "gzip", 5000, "decompression"},
		{"br expands over cap", "br", 5000, "decompression"},
		{"three layers", "gzip, gzip, gzip", 1 << 20, "stacked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if strings.Count(tt.enc, ",") < maxEncodingLayers {
				body = encodeForTest(t, tt.enc, data)
			}
			r, err := decodeBody(bytes.NewReader(body), tt.enc, tt.max)
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			if tt.wantErr == "" {
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("err %v, %d bytes", err, len(got))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want one mentioning %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrEncoding) {
				t.Errorf("err %v is neither ErrTooLarge nor ErrEncoding", err)
			}
		})
	}
}

func TestDecodeBodyEmptyCompressed(t *testing.T) {
	for _, enc := range []string{"gzip", "deflate"} {
		r, err := decodeBody(bytes.NewReader(nil), enc, 100)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if b, err := io.ReadAll(r); err != nil || len(b) != 0 {
			t.Errorf("%s: %q %v", enc, b, err)
		}
	}
}

func TestDecodeBodyCorrupt(t *testing.T) {
	if _, err := decodeBody(strings.NewReader("not gzip at all"), "gzip", 100); !errors.Is(err, ErrEncoding) {
		t.Errorf("corrupt gzip: %v, want ErrEncoding", err)
	}
}

func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte("plain"), "")
	f.Add(encodeForTest(f, "gzip", bytes.Repeat([]byte("z"), 5000)), "gzip")
	f.Add(encodeForTest(f, "br", []byte("brotli body")), "br")
	f.Add(encodeForTest(f, "deflate", []byte("zlib body")), "deflate")
	f.Add(encodeForTest(f, "deflate-raw", []byte("raw body")), "deflate")
	f.Fuzz(func(t *testing.T, body []byte, enc string) {
		const max = 4096
		r, err := decodeBody(bytes.NewReader(body), enc, max)
		if err != nil {
			return
		}
		out, err := io.ReadAll(r)
		if len(out) > max {
			t.Fatalf("%d bytes out, cap %d (err %v)", len(out), max, err)
		}
	})
}
