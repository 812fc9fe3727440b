package stance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
)

// TrainOptions control Train. The zero value is not useful; start from
// DefaultTrainOptions.
type TrainOptions struct {
	// Epochs over the training data.
	Epochs int
	// Rate is the AdaGrad learning rate.
	Rate float64
	// L2 is the weight decay applied to the features of each example.
	L2 float64
	// MinCount drops features seen in fewer training examples.
	MinCount int
	// Balanced weights each class by the inverse of its frequency.
	Balanced bool
	// Seed fixes the order of examples; training is deterministic for a
	// given seed and data.
	Seed uint64
	// Runs is the number of models, trained with seeds Seed, Seed+1, ...,
	// whose weights are averaged; 0 means 1.
	Runs int
}

// DefaultTrainOptions returns the options the committed model was trained
// with.
func DefaultTrainOptions() TrainOptions {
	return TrainOptions{Epochs: 20, Rate: 0.01, L2: 1e-4, MinCount: 1, Balanced: true, Seed: 1}
}

type example struct {
	feats []feature
	class int
}

// Examples turns NewsMTSC records into training examples, using the lexicon
// of mf. It returns them with the names of their features.
func examples(base *Analyzer, recs []*Record) ([]example, map[uint64]string, error) {
	names := map[uint64]string{}
	namer := func(k uint64, n string) {
		if old, ok := names[k]; ok && old != n {
			// A 64-bit collision between two names: keep the first, the
			// model file stays consistent with itself.
			return
		}
		names[k] = n
	}
	var t tokens
	var out []example
	for _, r := range recs {
		rd := newRecordDoc(r)
		base.prepare(rd.doc.Tokens, &t)
		rels := rd.relations(&t)
		for i, tg := range r.Targets {
			class, err := polarityClass(tg.Polarity)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", tg.GID, err)
			}
			if len(rd.targets[i]) == 0 {
				continue
			}
			feats := extract(&t, rd.unitFor(i, rels), nil, namer, modeFull)
			out = append(out, example{feats: dedupe(feats), class: class})
		}
	}
	return out, names, nil
}

// dedupe sums the values of repeated features.
func dedupe(fs []feature) []feature {
	sort.Slice(fs, func(i, j int) bool { return fs[i].key < fs[j].key })
	out := fs[:0]
	for _, f := range fs {
		if n := len(out); n > 0 && out[n-1].key == f.key {
			out[n-1].val += f.val
			continue
		}
		out = append(out, f)
	}
	return out
}

// Train fits a multinomial logistic regression on the NewsMTSC records and
// returns a model file with the lexicon of base (a model file without
// features is enough). Training is deterministic.
func Train(base *ModelFile, recs []*Record, opt TrainOptions) (*ModelFile, error) {
	a, err := New(&ModelFile{Version: "untrained", Classes: base.Classes, Lexicon: base.Lexicon, Boosters: base.Boosters})
	if err != nil {
		return nil, err
	}
	exs, names, err := examples(a, recs)
	if err != nil {
		return nil, err
	}
	if len(exs) == 0 {
		return nil, fmt.Errorf("stance: no training examples")
	}
	// Vocabulary: features seen in at least MinCount examples.
	count := map[uint64]int{}
	for _, ex := range exs {
		for _, f := range ex.feats {
			count[f.key]++
		}
	}
	keys := make([]uint64, 0, len(count))
	for k, c := range count {
		if c >= opt.MinCount {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	index := make(map[uint64]int, len(keys))
	for i, k := range keys {
		index[k] = i
	}
	w := make([][numClasses]float64, len(keys))
	g2 := make([][numClasses]float64, len(keys))

	var classWeight [numClasses]float64
	var perClass [numClasses]int
	for _, ex := range exs {
		perClass[ex.class]++
	}
	for c := range numClasses {
		classWeight[c] = 1
		if opt.Balanced && perClass[c] > 0 {
			classWeight[c] = float64(len(exs)) / (numClasses * float64(perClass[c]))
		}
	}

	runs := max(opt.Runs, 1)
	rows := make([]int, 0, 256)
	// The model is the average of the weights after each epoch of each
	// run, which is steadier than the last weights of one.
	avg := make([][numClasses]float64, len(keys))
	order := make([]int, len(exs))
	for run := range runs {
		seed := opt.Seed + uint64(run)
		rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
		for i := range order {
			order[i] = i
		}
		clear(w)
		clear(g2)
		for epoch := 0; epoch < opt.Epochs; epoch++ {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			for _, ei := range order {
				ex := exs[ei]
				rows = rows[:0]
				var s [numClasses]float64
				for _, f := range ex.feats {
					r, ok := index[f.key]
					if !ok {
						rows = append(rows, -1)
						continue
					}
					rows = append(rows, r)
					for c := range numClasses {
						s[c] += float64(f.val) * w[r][c]
					}
				}
				p := softmax(s)
				for c := range numClasses {
					y := 0.0
					if c == ex.class {
						y = 1
					}
					grad := (p[c] - y) * classWeight[ex.class]
					for fi, f := range ex.feats {
						r := rows[fi]
						if r < 0 {
							continue
						}
						gr := grad*float64(f.val) + opt.L2*w[r][c]
						g2[r][c] += gr * gr
						w[r][c] -= opt.Rate * gr / (math.Sqrt(g2[r][c]) + 1e-8)
					}
				}
			}
			for i := range w {
				for c := range numClasses {
					avg[i][c] += w[i][c] / float64(opt.Epochs*runs)
				}
			}
		}
	}
	w = avg

	out := &ModelFile{
		Classes:  base.Classes,
		Lexicon:  base.Lexicon,
		Boosters: base.Boosters,
		Features: make(map[string][numClasses]float32, len(keys)),
		Meta:     map[string]string{},
	}
	for i, k := range keys {
		var v [numClasses]float32
		zero := true
		for c := range numClasses {
			// Three decimals keep the file small and change no decision
			// measurably.
			v[c] = float32(math.Round(w[i][c]*1000) / 1000)
			if v[c] != 0 {
				zero = false
			}
		}
		if zero {
			continue
		}
		out.Features[names[k]] = v
	}
	out.Meta["examples"] = strconv.Itoa(len(exs))
	out.Meta["features"] = strconv.Itoa(len(out.Features))
	out.Meta["options"] = fmt.Sprintf("%+v", opt)
	return out, nil
}
