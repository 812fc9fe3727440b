package extract

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

const (
	bodyA = "The first paragraph of the article tells what happened in the city on Monday."
	bodyB = "The second paragraph adds the reactions of the people who were there at the time."
	bodyC = "The third paragraph explains what is expected to happen next week and why."
	extra = "Sign up for our newsletter and get the best stories in your inbox every morning."
)

func TestCombine(t *testing.T) {
	tests := []struct {
		name     string
		traf     []string
		read     []string
		want     []string
		wantFrom string
	}{
		{"drops what readability lacks", []string{bodyA, extra, bodyB, bodyC}, []string{bodyA, bodyB, bodyC}, []string{bodyA, bodyB, bodyC}, "combined"},
		{"keeps short paragraphs readability has", []string{"Key points", bodyA, bodyB}, []string{"Key points:", bodyA + " " + bodyB}, []string{"Key points", bodyA, bodyB}, "combined"},
		{"drops short paragraphs readability lacks", []string{"Share this", bodyA, bodyB}, []string{bodyA, bodyB}, []string{bodyA, bodyB}, "combined"},
		{"keeps a long paragraph inside the article", []string{bodyA, bodyB, bodyA, bodyC + " " + extra, bodyB, bodyA}, []string{bodyA, bodyB, bodyA, bodyB, bodyA}, []string{bodyA, bodyB, bodyA, bodyC + " " + extra, bodyB, bodyA}, "combined"},
		{"drops a short one inside", []string{bodyA, "Most read today", bodyB}, []string{bodyA, bodyB}, []string{bodyA, bodyB}, "combined"},
		{"disagreement keeps trafilatura", []string{bodyA, bodyB, bodyC}, []string{extra}, []string{bodyA, bodyB, bodyC}, "trafilatura"},
		{"no trafilatura text uses readability", nil, []string{bodyA, bodyB}, []string{bodyA, bodyB}, "readability"},
		{"no readability text keeps trafilatura", []string{bodyA}, nil, []string{bodyA}, "trafilatura"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			traf := &body{extractor: "trafilatura", paras: tt.traf}
			read := &body{extractor: "readability", paras: tt.read}
			got, _ := combine(traf, read)
			if got == nil {
				t.Fatal("no body")
			}
			if !reflect.DeepEqual(got.paras, tt.want) || got.extractor != tt.wantFrom {
				t.Errorf("combine = %s %q, want %s %q", got.extractor, got.paras, tt.wantFrom, tt.want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(`<html><head><title>Big News Today | The Site</title></head><body>
		<h1>Big News Today</h1>
		<ul><li><a href="/1">Another story you may like</a></li><li>Quiz: <a href="/2">how well do you know the news this week</a></li></ul>
		</body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	pt := collectTexts(doc, "Big news today!")
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"leading headline", []string{"Big News Today", bodyA, bodyB}, []string{bodyA, bodyB}},
		{"headline later is kept", []string{bodyA, bodyB, bodyC, "Big News Today"}, []string{bodyA, bodyB, bodyC, "Big News Today"}},
		{"callouts", []string{bodyA, "Related: Ten things about the news", "READ MORE | The city's plan", "Leia também: outra notícia", bodyB}, []string{bodyA, bodyB}},
		{"long paragraph starting with a cue word is kept", []string{"Watch: " + bodyA + " " + bodyB + " " + bodyC}, []string{"Watch: " + bodyA + " " + bodyB + " " + bodyC}},
		{"advert markers", []string{bodyA, "Advertisement", "Реклама", bodyB}, []string{bodyA, bodyB}},
		{"trailing link list with heading", []string{bodyA, bodyB, bodyC, "More stories", "Another story you may like", "Quiz: how well do you know the news this week"}, []string{bodyA, bodyB, bodyC}},
		{"a single trailing link stays", []string{bodyA, bodyB, "Another story you may like"}, []string{bodyA, bodyB, "Another story you may like"}},
		{"an article made of links stays", []string{"Another story you may like", "Quiz: how well do you know the news this week"}, []string{"Another story you may like", "Quiz: how well do you know the news this week"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clean(tt.in, pt); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("clean = %q\nwant %q", got, tt.want)
			}
		})
	}
}
