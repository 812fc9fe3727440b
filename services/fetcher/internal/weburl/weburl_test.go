package weburl

import (
	"net/url"
	"testing"
)

func TestResolve(t *testing.T) {
	base, _ := url.Parse("https://news.example.com/world/index.html")
	tests := []struct {
		base *url.URL
		ref  string
		want string
	}{
		{base, "/a/b.html#top", "https://news.example.com/a/b.html"},
		{base, "story.html", "https://news.example.com/world/story.html"},
		{base, "//cdn.example.com/x", "https://cdn.example.com/x"},
		{base, "  http://other.org/p  ", "http://other.org/p"},
		{base, "mailto:desk@example.com", ""},
		{base, "javascript:void(0)", ""},
		{base, "", ""},
		{nil, "/relative", ""},
		{nil, "https://ok.example/p", "https://ok.example/p"},
		{base, "http://[::1", ""},
	}
	for _, tt := range tests {
		if got := Resolve(tt.base, tt.ref); got != tt.want {
			t.Errorf("Resolve(%v, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
		}
	}
}
