// Package stance tells how an article treats each of its entities
// (negative, neutral or positive, with the sentences that decided it), who
// takes a stance toward whom (holder -> target, support or oppose, with the
// cue word and the sentence), and the article's overall tone.
//
// Entity sentiment comes from a linear model trained on NewsMTSC
// (target-dependent sentiment in news sentences); stance triples come from
// rules over reporting and stance constructions; tone counts the words of
// the VADER lexicon.
package stance

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/newsflow/newsflow/pkg/events"
)

// Classes in the order of the model's weight rows.
const (
	classNegative = iota
	classNeutral
	classPositive
	numClasses
)

var classNames = [numClasses]string{events.Negative, events.Neutral, events.Positive}

//go:embed model/stance.json.gz
var embeddedModel []byte

// ErrModel reports a model file that cannot be used.
var ErrModel = errors.New("stance: bad model")

// ModelFile is the serialised model: the lexicon it was trained with and the
// weights of its features. Its JSON form is deterministic (map keys sorted).
type ModelFile struct {
	// Version names the model; it changes whenever the weights do.
	Version string   `json:"version"`
	Classes []string `json:"classes"`
	// Lexicon maps lower-case words to their VADER valence in [-4, 4].
	Lexicon map[string]float32 `json:"lexicon"`
	// Boosters maps intensifiers to their increment (negative for dampeners).
	Boosters map[string]float32 `json:"boosters"`
	// Features maps "template|word" to one weight per class.
	Features map[string][numClasses]float32 `json:"features"`
	// Meta records how the model was trained and how it scored.
	Meta map[string]string `json:"meta,omitempty"`
}

// Analyzer tags entity sentiment, stance triples and tone. It is safe for
// concurrent use.
type Analyzer struct {
	version string
	words   map[uint64]tokInfo
	index   map[uint64]int32
	weights [][numClasses]float32
	bias    [numClasses]float32
	scratch sync.Pool // of *scratch, the buffers of Analyze
}

// Load returns the analyzer built into the binary.
func Load() (*Analyzer, error) {
	return Read(bytes.NewReader(embeddedModel))
}

// Read builds an analyzer from a gzip-compressed model file.
func Read(r io.Reader) (*Analyzer, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	defer zr.Close()
	var mf ModelFile
	if err := json.NewDecoder(zr).Decode(&mf); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	return New(&mf)
}

// New builds an analyzer from a model.
func New(mf *ModelFile) (*Analyzer, error) {
	if mf.Version == "" {
		return nil, fmt.Errorf("%w: no version", ErrModel)
	}
	if len(mf.Classes) != numClasses {
		return nil, fmt.Errorf("%w: %d classes, want %d", ErrModel, len(mf.Classes), numClasses)
	}
	for i, c := range mf.Classes {
		if c != classNames[i] {
			return nil, fmt.Errorf("%w: class %d is %q, want %q", ErrModel, i, c, classNames[i])
		}
	}
	a := &Analyzer{
		version: mf.Version,
		words:   buildWords(mf.Lexicon, mf.Boosters),
		index:   make(map[uint64]int32, len(mf.Features)),
		weights: make([][numClasses]float32, 0, len(mf.Features)),
	}
	for name, w := range mf.Features {
		key, ok := parseFeatureName(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown feature template in %q", ErrModel, name)
		}
		if name == templateNames[tBias]+"|" {
			a.bias = w
			continue
		}
		if _, dup := a.index[key]; dup {
			return nil, fmt.Errorf("%w: feature %q collides with another", ErrModel, name)
		}
		a.index[key] = int32(len(a.weights))
		a.weights = append(a.weights, w)
	}
	return a, nil
}

// Version names the model, for the enricher version stamped on events.
func (a *Analyzer) Version() string { return a.version }

// buildWords merges the lexicon with the closed word classes and cues.
func buildWords(lexicon, boosters map[string]float32) map[uint64]tokInfo {
	words := make(map[uint64]tokInfo, len(lexicon)+512)
	for w, v := range lexicon {
		h := wordHash(w)
		info := words[h]
		info.valence = v
		words[h] = info
	}
	for w, b := range boosters {
		h := wordHash(w)
		info := words[h]
		info.boost = b
		words[h] = info
	}
	flag := func(list []string, f uint32) {
		for _, w := range list {
			h := wordHash(w)
			info := words[h]
			info.flags |= f
			words[h] = info
		}
	}
	flag(negators, fNegator)
	flag(reportingVerbs, fReport)
	flag(pronouns, fPronoun)
	flag(butWords, fBut)
	flag(determiners, fDet)
	flag(auxiliaries, fAux)
	flag([]string{"by"}, fBy)
	flag([]string{"'s", "'"}, fPoss)
	flag(prepositions, fPrep)
	flag(relatives, fRelative)
	flag(lossNouns, fLoss)
	flag(adverbs, fAdverb)
	flag(ands, fAnd)
	flag(subordinators, fSubord)
	set := func(w string, f func(*tokInfo)) {
		h := wordHash(w)
		info := words[h]
		f(&info)
		words[h] = info
	}
	for w, d := range stanceNouns {
		set(w, func(i *tokInfo) { i.noun = d })
	}
	for w, d := range roleNouns {
		set(w, func(i *tokInfo) { i.role = d })
	}
	for w, d := range complementVerbs {
		set(w, func(i *tokInfo) { i.comp, i.hasComp = d, true })
	}
	for w, c := range anaphors {
		set(w, func(i *tokInfo) { i.anaphor = c })
	}
	for _, e := range cueEntries {
		forms, past := verbForms(e.spec)
		if e.kind == kindNegating && !strings.Contains(e.spec, "|") && (e.spec == "reluctant" || e.spec == "unwilling") {
			forms, past = []string{e.spec}, nil
		}
		var parts []uint64
		var after uint64
		for _, p := range strings.Fields(e.particles) {
			if w, ok := strings.CutPrefix(p, "+"); ok {
				after = wordHash(w)
				continue
			}
			parts = append(parts, wordHash(p))
		}
		for _, f := range forms {
			if f == "-" {
				continue
			}
			isPast := false
			for _, p := range past {
				isPast = isPast || p == f
			}
			c := &cue{dir: e.dir, kind: e.kind, particles: parts, after: after, past: isPast}
			h := wordHash(f)
			info := words[h]
			// Cues with particles are tried first: "call on" before "call".
			if info.cue == nil || len(parts) > 0 {
				c.alt = info.cue
				info.cue = c
			} else {
				last := info.cue
				for last.alt != nil {
					last = last.alt
				}
				last.alt = c
			}
			words[h] = info
		}
	}
	return words
}

// probs returns the class probabilities of one unit.
func (a *Analyzer) probs(feats []feature) [numClasses]float64 {
	return softmax(a.scores(a.bias64(), feats))
}

func (a *Analyzer) bias64() [numClasses]float64 {
	return [numClasses]float64{float64(a.bias[0]), float64(a.bias[1]), float64(a.bias[2])}
}

// scores adds the weights of feats to s.
func (a *Analyzer) scores(s [numClasses]float64, feats []feature) [numClasses]float64 {
	for _, f := range feats {
		row, ok := a.index[f.key]
		if !ok {
			continue
		}
		w := &a.weights[row]
		v := float64(f.val)
		s[0] += v * float64(w[0])
		s[1] += v * float64(w[1])
		s[2] += v * float64(w[2])
	}
	return s
}

func softmax(s [numClasses]float64) [numClasses]float64 {
	m := math.Max(s[0], math.Max(s[1], s[2]))
	var z float64
	for i := range s {
		s[i] = math.Exp(s[i] - m)
		z += s[i]
	}
	for i := range s {
		s[i] /= z
	}
	return s
}

func argmax(p [numClasses]float64) int {
	best := 0
	for i := 1; i < numClasses; i++ {
		if p[i] > p[best] {
			best = i
		}
	}
	return best
}
