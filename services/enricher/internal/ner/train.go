package ner

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
)

// TrainOptions configure Train. The zero value is not useful: use
// DefaultTrainOptions.
type TrainOptions struct {
	Options
	// Epochs is the number of passes over the training documents.
	Epochs int
	// Seed fixes the order of documents in each epoch.
	Seed uint64
	// MinCount drops features seen fewer times in the training data.
	MinCount int
	// Prune drops features whose largest averaged weight is smaller (in
	// absolute value) from the final model.
	Prune float32
	// Dev, when set, is scored after each epoch; the model of the epoch
	// with the best dev F1 is returned.
	Dev []AnnotatedDoc
	// Name prefixes the model version.
	Name string
	// Ensemble averages the weights of this many models trained with
	// seeds Seed, Seed+1, ...; 0 or 1 trains one model.
	Ensemble int
	// Log receives progress; nil discards it.
	Log *slog.Logger
}

// DefaultTrainOptions are the settings the shipped model is trained with.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{
		Options:  Options{History: true, Aggregate: true},
		Epochs:   15,
		Ensemble: 3,
		Seed:     1,
		MinCount: 1,
		Prune:    0.5 * scale,
		Name:     "ner-ap1",
	}
}

// trainDoc is a document with its static feature rows precomputed.
type trainDoc struct {
	doc   *AnnotatedDoc
	gold  []uint8
	feats []int32 // static feature indexes of all tokens
	offs  []int32 // token i has feats[offs[i]:offs[i+1]]
}

// trainer holds the perceptron's weights during training.
type trainer struct {
	opts  TrainOptions
	index map[uint32]int32
	keys  []uint32
	w, u  []float32 // weights and averaging accumulators
	tw    [numLabels + 1][numLabels]float32
	tu    [numLabels + 1][numLabels]float32
	c     float32 // update counter for averaging
}

// Train trains a model on docs with features from gz. It is deterministic
// for given documents, gazetteer and options.
func Train(ctx context.Context, docs []AnnotatedDoc, gz *gazetteer.Gazetteer, opts TrainOptions) (*Model, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Epochs <= 0 {
		return nil, fmt.Errorf("train: epochs must be positive")
	}
	start := time.Now()
	t := &trainer{opts: opts, index: map[uint32]int32{}, c: 1}
	// Count features, then index those seen often enough.
	counts := map[uint32]int32{}
	x := newExtractor(gz, opts.Options)
	var buf []uint64
	forEachFeatures := func(f func(d int, i int, hs []uint64)) {
		for di := range docs {
			d := docs[di].Doc
			x.prepare(d)
			for _, s := range d.Sentences {
				for i := s.First; i < s.Limit; i++ {
					buf = x.features(buf[:0], i, s.First, s.Limit)
					f(di, i, buf)
				}
			}
		}
	}
	tokens := 0
	forEachFeatures(func(_, _ int, hs []uint64) {
		tokens++
		for _, h := range hs {
			counts[featureKey(h)]++
		}
	})
	for k, c := range counts {
		if int(c) >= opts.MinCount {
			t.index[k] = 0
		}
	}
	// History features are few; index them all.
	if opts.History {
		for best := range uint64(5) {
			t.index[featureKey(f1(tHist, best))] = 0
			for c := range uint64(capOther + 1) {
				t.index[featureKey(f2(tHistPair, best, c))] = 0
			}
		}
	}
	// Deterministic row numbers: by key.
	t.keys = make([]uint32, 0, len(t.index))
	for k := range t.index {
		t.keys = append(t.keys, k)
	}
	slices.Sort(t.keys)
	for r, k := range t.keys {
		t.index[k] = int32(r)
	}
	t.w = make([]float32, len(t.keys)*numLabels)
	t.u = make([]float32, len(t.keys)*numLabels)
	log.Info("features indexed", "tokens", tokens, "distinct", len(counts), "kept", len(t.keys), "elapsed", time.Since(start).Round(time.Millisecond))

	tds := make([]trainDoc, len(docs))
	for di := range docs {
		tds[di] = trainDoc{doc: &docs[di], gold: bilouFromIOB2(docs[di].Tags, nil), offs: []int32{0}}
	}
	forEachFeatures(func(di, _ int, hs []uint64) {
		td := &tds[di]
		for _, h := range hs {
			if r, ok := t.index[featureKey(h)]; ok {
				td.feats = append(td.feats, r)
			}
		}
		td.offs = append(td.offs, int32(len(td.feats)))
	})

	var members []*Model
	bestF1 := -1.0
	for k := range max(opts.Ensemble, 1) {
		seed := opts.Seed + uint64(k)
		if k > 0 {
			t.reset()
		}
		m, f, err := t.run(ctx, tds, gz, seed, start, log)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
		bestF1 = f
	}
	best := members[0]
	if len(members) > 1 {
		best = average(members)
		if len(opts.Dev) > 0 {
			bestF1 = EvaluateRecognizer(opts.Dev, best).Overall.F1()
			log.Info("ensemble", "members", len(members), "dev_f1", fmt.Sprintf("%.4f", bestF1))
		}
	}
	final := t.prune(best, opts.Prune)
	final.version = fmt.Sprintf("%s-%s", opts.Name, final.digest())
	log.Info("model", "version", final.version, "features", final.Features(), "best_dev_f1", fmt.Sprintf("%.4f", bestF1))
	return final, nil
}

// reset zeroes the weights for another ensemble member.
func (t *trainer) reset() {
	clear(t.w)
	clear(t.u)
	t.tw, t.tu = [numLabels + 1][numLabels]float32{}, [numLabels + 1][numLabels]float32{}
	t.c = 1
}

// run trains one model with documents shuffled by seed and returns the
// averaged model of the best epoch on the dev documents (or of the last
// epoch) and its dev F1.
func (t *trainer) run(ctx context.Context, tds []trainDoc, gz *gazetteer.Gazetteer, seed uint64, start time.Time, log *slog.Logger) (*Model, float64, error) {
	opts := t.opts
	var best *Model
	bestF1 := -1.0
	order := make([]int, len(tds))
	for i := range order {
		order[i] = i
	}
	s := &scratch{x: newExtractor(gz, opts.Options)}
	for epoch := 1; epoch <= opts.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		errs, seen := 0, 0
		for _, di := range order {
			errs += t.trainDoc(&tds[di], s)
			seen += len(tds[di].gold)
		}
		m := t.model(gz)
		attrs := []any{"seed", seed, "epoch", epoch, "token_errors", errs, "token_error_rate", fmt.Sprintf("%.4f", float64(errs)/float64(seen)), "elapsed", time.Since(start).Round(time.Millisecond)}
		if len(opts.Dev) > 0 {
			rep := EvaluateRecognizer(opts.Dev, m)
			f := rep.Overall.F1()
			attrs = append(attrs, "dev_f1", fmt.Sprintf("%.4f", f))
			if f > bestF1 {
				bestF1, best = f, m
			}
		} else {
			best = m
		}
		log.Info("epoch", attrs...)
	}
	return best, bestF1, nil
}

// average returns the model whose weights are the mean of the members'.
func average(members []*Model) *Model {
	out := &Model{opts: members[0].opts, gz: members[0].gz, version: members[0].version}
	inv := 1 / float32(len(members))
	sum := map[uint32]*[numLabels]float32{}
	for _, m := range members {
		for p := range numLabels + 1 {
			for y := range numLabels {
				out.trans[p][y] += m.trans[p][y] * inv
			}
		}
		for _, s := range m.table {
			if s.key == 0 {
				continue
			}
			row := sum[s.key]
			if row == nil {
				row = new([numLabels]float32)
				sum[s.key] = row
			}
			for y, v := range m.w[int(s.row)*numLabels : int(s.row+1)*numLabels] {
				row[y] += v * inv
			}
		}
	}
	keys := make([]uint32, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.w = append(out.w, sum[k][:]...)
	}
	out.build(keys)
	return out
}

// trainDoc runs one perceptron pass over a document and returns the number
// of mislabelled tokens.
func (t *trainer) trainDoc(td *trainDoc, s *scratch) int {
	d := td.doc.Doc
	if t.opts.History {
		// Only history features are computed on the fly; the rest is cached.
		s.x.prepare(d)
	}
	errs := 0
	for _, sen := range d.Sentences {
		n := sen.Limit - sen.First
		if n == 0 {
			continue
		}
		s.emit = grow(s.emit, n*numLabels)
		s.back = growU8(s.back, n*numLabels)
		s.out = growU8(s.out, n)
		clear(s.emit)
		var hist [][]int32
		for i := sen.First; i < sen.Limit; i++ {
			e := s.emit[(i-sen.First)*numLabels : (i-sen.First+1)*numLabels]
			for _, r := range td.feats[td.offs[i]:td.offs[i+1]] {
				w := t.w[int(r)*numLabels : int(r+1)*numLabels]
				for y := range numLabels {
					e[y] += w[y]
				}
			}
			if t.opts.History {
				s.feats = s.x.histFeatures(s.feats[:0], i)
				var hs []int32
				for _, h := range s.feats {
					if r, ok := t.index[featureKey(h)]; ok {
						hs = append(hs, r)
						w := t.w[int(r)*numLabels : int(r+1)*numLabels]
						for y := range numLabels {
							e[y] += w[y]
						}
					}
				}
				hist = append(hist, hs)
			}
		}
		viterbi(s.emit, &t.tw, n, s.back, s.out)
		gold := td.gold[sen.First:sen.Limit]
		wrong := false
		for k := range n {
			if s.out[k] != gold[k] {
				wrong = true
				errs++
			}
		}
		if wrong {
			t.update(td, sen.First, gold, s.out[:n], hist)
		}
		t.c++
		if t.opts.History {
			s.types = s.types[:0]
			for _, y := range s.out[:n] {
				ty := uint8(0)
				if y != 0 {
					ty = uint8(labelType(y) + 1)
				}
				s.types = append(s.types, ty)
			}
			s.x.record(sen.First, s.types)
		}
	}
	return errs
}

func (t *trainer) update(td *trainDoc, first int, gold, pred []uint8, hist [][]int32) {
	add := func(r int32, y uint8, v float32) {
		i := int(r)*numLabels + int(y)
		t.w[i] += v
		t.u[i] += t.c * v
	}
	for k := range gold {
		g, p := gold[k], pred[k]
		if g != p {
			i := first + k
			for _, r := range td.feats[td.offs[i]:td.offs[i+1]] {
				add(r, g, 1)
				add(r, p, -1)
			}
			if hist != nil {
				for _, r := range hist[k] {
					add(r, g, 1)
					add(r, p, -1)
				}
			}
		}
		gp, pp := numLabels, numLabels
		if k > 0 {
			gp, pp = int(gold[k-1]), int(pred[k-1])
		}
		if gp != pp || g != p {
			t.tw[gp][g]++
			t.tu[gp][g] += t.c
			t.tw[pp][p]--
			t.tu[pp][p] -= t.c
		}
	}
}

// model returns the averaged weights as a model.
func (t *trainer) model(gz *gazetteer.Gazetteer) *Model {
	m := &Model{opts: t.opts.Options, gz: gz, version: t.opts.Name}
	for p := range numLabels + 1 {
		for y := range numLabels {
			m.trans[p][y] = t.tw[p][y] - t.tu[p][y]/t.c
		}
	}
	keys := make([]uint32, 0, len(t.keys))
	w := make([]float32, 0, len(t.w))
	for r, k := range t.keys {
		row := t.w[r*numLabels : (r+1)*numLabels]
		urow := t.u[r*numLabels : (r+1)*numLabels]
		var avg [numLabels]float32
		var big float32
		for y := range numLabels {
			avg[y] = row[y] - urow[y]/t.c
			big = max(big, float32(math.Abs(float64(avg[y]))))
		}
		if big == 0 {
			continue
		}
		keys = append(keys, k)
		w = append(w, avg[:]...)
	}
	m.w = w
	m.build(keys)
	return m
}

// prune drops small rows of m and rounds its weights to the file's
// quantisation, so the returned model behaves exactly like its file.
func (t *trainer) prune(m *Model, prune float32) *Model {
	out := &Model{opts: m.opts, gz: m.gz, version: m.version}
	for p := range numLabels + 1 {
		for y := range numLabels {
			out.trans[p][y] = float32(float64(m.trans[p][y]))
		}
	}
	var keys []uint32
	var w []float32
	for _, s := range m.table {
		k := s.key
		if k == 0 {
			continue
		}
		row := m.w[int(s.row)*numLabels : int(s.row+1)*numLabels]
		var q [numLabels]float32
		keep := false
		for y, v := range row {
			if float32(math.Abs(float64(v))) >= prune {
				keep = true
			}
			q[y] = float32(quantise(v)) * scale
		}
		if keep && q != [numLabels]float32{} {
			keys = append(keys, k)
			w = append(w, q[:]...)
		}
	}
	out.w = w
	out.build(keys)
	return out
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func growU8(s []uint8, n int) []uint8 {
	if cap(s) < n {
		return make([]uint8, n)
	}
	return s[:n]
}
