// Package evaluation scores article-body extractors the way the Scrapinghub
// article-extraction benchmark does, and loads that benchmark's pages.
package evaluation

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/newsflow/newsflow/services/fetcher/internal/extract/shingle"
)

// ShingleSize is the number of consecutive tokens in one shingle.
const ShingleSize = shingle.Size

// Tokens returns the word tokens of text (see shingle.Tokens).
func Tokens(text string) []string { return shingle.Tokens(text) }

// Shingles returns the multiset of shingles of text (see shingle.Of).
func Shingles(text string) map[string]int { return shingle.Of(text) }

// Counts are one page's true positives, false positives and false negatives,
// divided by their sum so that every page weighs the same. All three are zero
// when both texts are empty.
type Counts struct {
	TP, FP, FN float64
}

// Precision is TP/(TP+FP), and 1 when there are neither false positives nor
// false negatives.
func (c Counts) Precision() float64 {
	if c.FP == 0 && c.FN == 0 {
		return 1
	}
	if c.TP+c.FP == 0 {
		return 0
	}
	return c.TP / (c.TP + c.FP)
}

// Recall is TP/(TP+FN), and 1 when there are neither false positives nor
// false negatives.
func (c Counts) Recall() float64 {
	if c.FP == 0 && c.FN == 0 {
		return 1
	}
	if c.TP+c.FN == 0 {
		return 0
	}
	return c.TP / (c.TP + c.FN)
}

// ScorePage compares a predicted body with the ground-truth body by shingles,
// counting repeats.
func ScorePage(pred, truth string) Counts {
	p, t := Shingles(pred), Shingles(truth)
	var tp, fp, fn int
	for k, pc := range p {
		tc := t[k]
		tp += min(pc, tc)
		fp += max(0, pc-tc)
	}
	for k, tc := range t {
		fn += max(0, tc-p[k])
	}
	sum := float64(tp + fp + fn)
	if sum == 0 {
		return Counts{}
	}
	return Counts{TP: float64(tp) / sum, FP: float64(fp) / sum, FN: float64(fn) / sum}
}

// PageResult is the score of one page.
type PageResult struct {
	ID     string
	Counts Counts
	// Exact reports whether the predicted token sequence equals the truth's.
	Exact bool
	// EmptyPrediction reports a prediction without any token.
	EmptyPrediction bool
}

// Report is the benchmark's summary over a set of pages.
type Report struct {
	// Precision is the mean per-page precision over pages with a non-empty prediction.
	Precision float64
	// Recall is the mean per-page recall over pages with a non-empty truth.
	Recall float64
	// F1 is the harmonic mean of Precision and Recall.
	F1 float64
	// Accuracy is the share of pages whose predicted tokens equal the truth's.
	Accuracy float64
	Pages    []PageResult
}

// ErrKeyMismatch means predictions and ground truth do not cover the same pages.
var ErrKeyMismatch = errors.New("evaluation: prediction ids differ from ground-truth ids")

// Score scores predictions against truths, both keyed by page id. Every truth
// id needs a prediction (possibly empty) and vice versa.
func Score(preds, truths map[string]string) (Report, error) {
	if len(preds) != len(truths) {
		return Report{}, fmt.Errorf("%w: %d predictions, %d truths", ErrKeyMismatch, len(preds), len(truths))
	}
	ids := make([]string, 0, len(truths))
	for id := range truths {
		if _, ok := preds[id]; !ok {
			return Report{}, fmt.Errorf("%w: no prediction for %q", ErrKeyMismatch, id)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)

	var r Report
	var pSum, rSum float64
	var pN, rN, exact int
	for _, id := range ids {
		pred, truth := preds[id], truths[id]
		c := ScorePage(pred, truth)
		pt, tt := Tokens(pred), Tokens(truth)
		res := PageResult{ID: id, Counts: c, Exact: slices.Equal(pt, tt), EmptyPrediction: len(pt) == 0}
		r.Pages = append(r.Pages, res)
		if res.Exact {
			exact++
		}
		if c.TP+c.FP > 0 {
			pSum += c.Precision()
			pN++
		}
		if c.TP+c.FN > 0 {
			rSum += c.Recall()
			rN++
		}
	}
	if pN > 0 {
		r.Precision = pSum / float64(pN)
	}
	if rN > 0 {
		r.Recall = rSum / float64(rN)
	}
	if r.Precision+r.Recall > 0 {
		r.F1 = 2 * r.Precision * r.Recall / (r.Precision + r.Recall)
	}
	if len(ids) > 0 {
		r.Accuracy = float64(exact) / float64(len(ids))
	}
	return r, nil
}

// Spread is the standard deviation of the summary scores over bootstrap
// resamples of the pages.
type Spread struct {
	Precision, Recall, F1 float64
}

// Bootstrap resamples the report's pages with replacement n times (with a
// fixed seed, so the result is reproducible) and returns the standard
// deviation of precision, recall and F1, like the ± of the published tables.
func (r Report) Bootstrap(n int, seed uint64) Spread {
	if len(r.Pages) == 0 || n < 2 {
		return Spread{}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var ps, rs, fs []float64
	for range n {
		var pSum, rSum float64
		var pN, rN int
		for range r.Pages {
			c := r.Pages[rng.IntN(len(r.Pages))].Counts
			if c.TP+c.FP > 0 {
				pSum += c.Precision()
				pN++
			}
			if c.TP+c.FN > 0 {
				rSum += c.Recall()
				rN++
			}
		}
		var p, rc, f float64
		if pN > 0 {
			p = pSum / float64(pN)
		}
		if rN > 0 {
			rc = rSum / float64(rN)
		}
		if p+rc > 0 {
			f = 2 * p * rc / (p + rc)
		}
		ps, rs, fs = append(ps, p), append(rs, rc), append(fs, f)
	}
	return Spread{Precision: stddev(ps), Recall: stddev(rs), F1: stddev(fs)}
}

func stddev(xs []float64) float64 {
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
