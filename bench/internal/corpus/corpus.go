// Package corpus makes the articles the pipeline benchmark publishes:
// realistic news text of varied length (around 600 words), each article
// unique and carrying a marker that identifies it in storage.
//
// Text comes from the NewsMTSC sentences in the shared data (news
// sentences grouped back into the articles they came from) or, when the
// data is absent, from a small generator of news-like sentences.
package corpus

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Article is one inbox file: a title line, a blank line, then paragraphs.
type Article struct {
	Marker string // "nfbench-<phase>-<n>", in the title and the body
	Title  string
	Body   string
	Words  int
}

// File is the article in the fetcher's inbox text format.
func (a Article) File() []byte {
	return []byte(a.Title + "\n\n" + a.Body + "\n")
}

// Marker names article n of a phase; MarkerPattern finds it in stored text.
func Marker(phase string, n int) string { return fmt.Sprintf("nfbench-%s-%06d", phase, n) }

// MarkerPattern matches a marker; its groups are the phase and the number.
var MarkerPattern = regexp.MustCompile(`nfbench-([a-z]+)-([0-9]{6})`)

// ParseMarker returns the phase and number of the first marker in s.
func ParseMarker(s string) (phase string, n int, ok bool) {
	m := MarkerPattern.FindStringSubmatch(s)
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.Atoi(m[2])
	return m[1], n, err == nil
}

// Doc is a run of sentences from one source article.
type Doc []string

// ErrNoText means a corpus holds no usable sentence.
var ErrNoText = errors.New("corpus: no sentences")

// ReadNewsMTSC reads NewsMTSC JSON lines (sentence_normalized, primary_gid)
// and groups the sentences back into their articles, in sentence order.
// Lines that are not JSON objects with a sentence are an error.
func ReadNewsMTSC(r io.Reader) ([]Doc, error) {
	var (
		keys  []sentKey
		sents = map[sentKey]string{}
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		b := strings.TrimSpace(sc.Text())
		if b == "" {
			continue
		}
		var rec struct {
			GID      string `json:"primary_gid"`
			Sentence string `json:"sentence_normalized"`
		}
		if err := json.Unmarshal([]byte(b), &rec); err != nil {
			return nil, fmt.Errorf("corpus: line %d: %w", line, err)
		}
		s := strings.Join(strings.Fields(rec.Sentence), " ")
		if s == "" {
			return nil, fmt.Errorf("corpus: line %d: no sentence_normalized", line)
		}
		k := gidKey(rec.GID, line)
		if _, dup := sents[k]; dup {
			continue
		}
		sents[k] = s
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].doc != keys[j].doc {
			return keys[i].doc < keys[j].doc
		}
		return keys[i].pos < keys[j].pos
	})
	var docs []Doc
	for i, k := range keys {
		if i == 0 || keys[i-1].doc != k.doc {
			docs = append(docs, nil)
		}
		docs[len(docs)-1] = append(docs[len(docs)-1], sents[k])
	}
	return docs, nil
}

type sentKey struct {
	doc string
	pos int
}

// gidKey splits "allsides_1000_401_25_Name_0_6" into the article
// ("allsides_1000_401") and the sentence position (25). An ID of another
// shape is an article of its own.
func gidKey(gid string, line int) sentKey {
	var k sentKey
	parts := strings.SplitN(gid, "_", 5)
	if len(parts) >= 4 {
		if pos, err := strconv.Atoi(parts[3]); err == nil {
			k.doc, k.pos = strings.Join(parts[:3], "_"), pos
			return k
		}
	}
	k.doc, k.pos = fmt.Sprintf("line-%09d", line), 0
	return k
}

// LoadNewsMTSC reads every *.jsonl file of <data>/sentiment/newsmtsc.
func LoadNewsMTSC(data string) ([]Doc, error) {
	files, err := filepath.Glob(filepath.Join(data, "sentiment", "newsmtsc", "*.jsonl"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus: no NewsMTSC files in %s: %w", filepath.Join(data, "sentiment", "newsmtsc"), os.ErrNotExist)
	}
	sort.Strings(files)
	var docs []Doc
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		d, err := ReadNewsMTSC(fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

// Generator makes articles from a corpus. It is deterministic for a seed
// and not safe for concurrent use.
type Generator struct {
	docs []Doc
	rng  *rand.Rand
	// MedianWords and Sigma shape the log-normal article length, clipped to
	// [MinWords, MaxWords].
	MedianWords, MinWords, MaxWords int
	Sigma                           float64
}

// NewGenerator returns a generator of articles of about 600 words (median
// 560, log-normal, 150..2400).
func NewGenerator(docs []Doc, seed uint64) (*Generator, error) {
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	if n == 0 {
		return nil, ErrNoText
	}
	return &Generator{docs: docs, rng: rand.New(rand.NewPCG(seed, 0x62656e6368)),
		MedianWords: 560, MinWords: 150, MaxWords: 2400, Sigma: 0.45}, nil
}

// Article returns the next article, carrying marker.
func (g *Generator) Article(marker string) Article {
	target := int(math.Round(float64(g.MedianWords) * math.Exp(g.Sigma*g.rng.NormFloat64())))
	target = min(max(target, g.MinWords), g.MaxWords)
	var (
		paras []string
		para  []string
		words int
		title string
	)
	doc := g.docs[g.rng.IntN(len(g.docs))]
	i := 0
	perPara := 2 + g.rng.IntN(3)
	for words < target {
		if i >= len(doc) { // continue with another story
			doc, i = g.docs[g.rng.IntN(len(g.docs))], 0
			if len(doc) == 0 {
				continue
			}
		}
		s := doc[i]
		i++
		if title == "" {
			title = headline(s)
		}
		para = append(para, s)
		words += len(strings.Fields(s))
		if len(para) >= perPara {
			paras = append(paras, strings.Join(para, " "))
			para, perPara = nil, 2+g.rng.IntN(3)
		}
	}
	if len(para) > 0 {
		paras = append(paras, strings.Join(para, " "))
	}
	// The marker makes every body unique (article IDs are content hashes).
	paras = append(paras, "Reference "+marker+".")
	return Article{
		Marker: marker,
		Title:  title + " [" + marker + "]",
		Body:   strings.Join(paras, "\n\n"),
		Words:  words + 2,
	}
}

// headline makes a title from a sentence: its first dozen words, without
// closing punctuation.
func headline(s string) string {
	f := strings.Fields(s)
	if len(f) > 12 {
		f = f[:12]
	}
	return strings.TrimRight(strings.Join(f, " "), ".,;:!?\"'”’")
}
