package textfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/shareddata"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in          string
		title, bodyPrefix string
		date              string
	}{
		{"date then text on the same line",
			" date 2021-10-20 Afghanistan’s new Taliban rulers won the support of 10 powers. On Wednesday, Russia spoke.",
			"Afghanistan’s new Taliban rulers won the support of 10 powers.", "Afghanistan’s new Taliban", "2021-10-20"},
		{"date line of its own", "date 2024-01-31\nThe talks ended. Nothing was agreed.",
			"The talks ended.", "The talks ended.", "2024-01-31"},
		{"no date", "Mr. Smith went to Washington. He stayed.", "Mr. Smith went to Washington.", "Mr. Smith", ""},
		{"headline above the text", "Russia calls for inclusive Afghan government\n\nEarlier Wednesday, Russia called on the Taliban.",
			"Russia calls for inclusive Afghan government", "Earlier Wednesday", ""},
		{"first line ending like a sentence is text", "It rained.\n\nThe match was cancelled.", "It rained.", "It rained.", ""},
		{"BOM and CRLF", "\ufeffdate: 2020-02-02\r\nSnow fell in Kabul. Roads closed.", "Snow fell in Kabul.", "Snow fell", "2020-02-02"},
		{"quote closes the sentence", "“We are ready,” he said. Then he left.", "“We are ready,” he said.", "“We", ""},
		{"U.S. is not a sentence end", "The U.S. Army arrived. Later.", "The U.S. Army arrived.", "The U.S.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != tt.title {
				t.Errorf("title = %q, want %q", a.Title, tt.title)
			}
			if !strings.HasPrefix(a.Body, tt.bodyPrefix) {
				t.Errorf("body = %q, want prefix %q", a.Body, tt.bodyPrefix)
			}
			got := ""
			if a.Published != nil {
				got = a.Published.Format("2006-01-02")
			}
			if got != tt.date {
				t.Errorf("date = %q, want %q", got, tt.date)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]error{
		"":                   ErrEmpty,
		"   \n\t ":           ErrEmpty,
		"date 2021-10-20\n ": ErrEmpty,
		"bad \xff\xfe bytes": ErrNotText,
		"nul\x00byte":        ErrNotText,
	} {
		if _, err := Parse([]byte(in)); !errors.Is(err, want) {
			t.Errorf("Parse(%q) = %v, want %v", in, err, want)
		}
	}
	if _, err := Parse([]byte("date 2021-13-45 text")); err == nil {
		t.Error("an impossible date was accepted")
	}
}

func TestLongFirstSentenceIsCut(t *testing.T) {
	s := strings.Repeat("word ", 100) + "end."
	got := FirstSentence(s, 50)
	if n := len([]rune(got)); n > 50 || !strings.HasSuffix(got, "…") {
		t.Fatalf("title %q (%d runes)", got, n)
	}
}

func TestSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(shareddata.RequireSamples(t), "moscow-talks-2021-10-20.txt"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2021, 10, 20, 0, 0, 0, 0, time.UTC); a.Published == nil || !a.Published.Equal(want) {
		t.Errorf("published = %v", a.Published)
	}
	if !strings.HasPrefix(a.Title, "Afghanistan’s new Taliban rulers won the support") || !strings.HasSuffix(a.Title, "catastrophe.") {
		t.Errorf("title = %q", a.Title)
	}
	if !strings.Contains(a.Body, "Russia has not evacuated its embassy in Kabul") {
		t.Error("body lost its end")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("date 2021-10-20 Text. More."))
	f.Add([]byte("Headline\n\nBody text."))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			return
		}
		if strings.TrimSpace(a.Body) == "" {
			t.Fatal("empty body accepted")
		}
		if len([]rune(a.Title)) > MaxTitleRunes {
			t.Fatalf("title of %d runes", len([]rune(a.Title)))
		}
	})
}
