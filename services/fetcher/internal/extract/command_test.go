package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

func TestRunCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"--url", "https://www.dailybugle.example/p/1"}
	if err := RunCommand(args, strings.NewReader(englishPage.html()), &stdout, &stderr); err != nil {
		t.Fatalf("RunCommand: %v (stderr %q)", err, stderr.String())
	}
	if strings.Count(stdout.String(), "\n") != 1 {
		t.Errorf("want exactly one line of output, got %q", stdout.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	for _, k := range []string{"url", "title", "text", "byline", "published_at", "language"} {
		if _, ok := got[k]; !ok {
			t.Errorf("output lacks %q", k)
		}
	}
	want := map[string]any{
		"url":           "https://www.dailybugle.example/p/1",
		"canonical_url": "https://www.dailybugle.example/politics/2024/03/05/council-budget",
		"title":         englishPage.title,
		"byline":        "Jane Roe, John Poe",
		"published_at":  "2024-03-05T09:30:00+01:00",
		"language":      "en",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if text, _ := got["text"].(string); !strings.HasPrefix(text, englishPage.paras[0]+"\n\n"+englishPage.paras[1]) {
		t.Errorf("text = %q", text)
	}
}

func TestRunCommandFlags(t *testing.T) {
	ru := russianPage
	// KOI8-R has no guillemets or dashes: those become '?'.
	page, err := encoding.ReplaceUnsupported(charmap.KOI8R.NewEncoder()).Bytes([]byte(ru.html()))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err = RunCommand([]string{"-content-type", "text/html; charset=koi8-r", "-extractor", "readability"}, bytes.NewReader(page), &stdout, &stderr)
	if err != nil {
		t.Fatalf("RunCommand: %v", err)
	}
	var got struct {
		Text        string  `json:"text"`
		PublishedAt *string `json:"published_at"`
		Language    string  `json:"language"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Text, ru.paras[1]) || got.Language != "ru" || got.PublishedAt != nil {
		t.Errorf("got %+v", got)
	}
}

func TestRunCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		page string
		want error // nil: any error
	}{
		{"help", []string{"-h"}, "", flag.ErrHelp},
		{"unknown flag", []string{"--nope"}, "", nil},
		{"stray argument", []string{"page.html"}, "", nil},
		{"bad extractor", []string{"-extractor", "magic"}, "", nil},
		{"bad url", []string{"-url", "not a url"}, englishPage.html(), ErrBadURL},
		{"no article", nil, "<html><body><nav>Home</nav></body></html>", ErrNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := RunCommand(tt.args, strings.NewReader(tt.page), &stdout, &stderr)
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}
