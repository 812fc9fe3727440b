// Command train-stance trains the enricher's entity stance model on
// NewsMTSC and writes the model file that package stance embeds.
//
//	go run ./services/enricher/cmd/train-stance -data ../shared/data -out services/enricher/internal/stance/model/stance.json.gz
//
// Training is deterministic: the same data and flags give the same file.
// It prints the scores on the dev splits (dev_mt, dev_rw); -cv k also runs a
// k-fold cross-validation on train, the figure to tune options on.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"unicode"

	"github.com/jonreiter/govader"

	"github.com/newsflow/newsflow/services/enricher/internal/stance"
)

func main() {
	if err := run(); err != nil {
		slog.Error("train-stance", "err", err)
		os.Exit(1)
	}
}

func run() error {
	opt := stance.DefaultTrainOptions()
	data := flag.String("data", "../shared/data", "the shared data folder (holds sentiment/newsmtsc)")
	out := flag.String("out", "", "where to write the model file (gzip-compressed JSON); empty: do not write")
	cv := flag.Int("cv", 0, "if > 1, also report a k-fold cross-validation on train")
	flag.IntVar(&opt.Epochs, "epochs", opt.Epochs, "training epochs")
	flag.Float64Var(&opt.Rate, "rate", opt.Rate, "AdaGrad learning rate")
	flag.Float64Var(&opt.L2, "l2", opt.L2, "L2 weight decay")
	flag.IntVar(&opt.MinCount, "min-count", opt.MinCount, "drop features seen in fewer examples")
	flag.BoolVar(&opt.Balanced, "balanced", opt.Balanced, "weight classes by inverse frequency")
	flag.Uint64Var(&opt.Seed, "seed", opt.Seed, "shuffle seed")
	flag.IntVar(&opt.Runs, "runs", opt.Runs, "models (seeds) whose weights are averaged")
	flag.Parse()

	dir := filepath.Join(*data, "sentiment", "newsmtsc")
	train, err := readRecords(filepath.Join(dir, "train.jsonl"))
	if err != nil {
		return err
	}
	base := baseModel()
	if *cv > 1 {
		var all stance.Metrics
		for k := range *cv {
			var tr, te []*stance.Record
			for i, r := range train {
				if i%*cv == k {
					te = append(te, r)
				} else {
					tr = append(tr, r)
				}
			}
			m, err := trainEval(base, tr, te, opt)
			if err != nil {
				return err
			}
			all.Merge(m)
		}
		all.Finish()
		all.Print(os.Stdout, fmt.Sprintf("train %d-fold cv", *cv))
	}

	mf, err := stance.Train(base, train, opt)
	if err != nil {
		return err
	}
	body, err := json.Marshal(mf)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	mf.Version = "stance-newsmtsc-lr-" + hex.EncodeToString(sum[:4])
	a, err := stance.New(mf)
	if err != nil {
		return err
	}
	for _, split := range []string{"dev_mt", "dev_rw"} {
		f, err := os.Open(filepath.Join(dir, split+".jsonl"))
		if err != nil {
			return err
		}
		m, err := stance.EvaluateNewsMTSC(f, a)
		f.Close()
		if err != nil {
			return err
		}
		m.Print(os.Stdout, split)
		mf.Meta[split] = fmt.Sprintf("F1m=%.4f accuracy=%.4f n=%d", m.F1Macro, m.Accuracy, m.N)
	}
	fmt.Printf("version %s, %d features\n", mf.Version, len(mf.Features))
	if *out == "" {
		return nil
	}
	return writeModel(*out, mf)
}

func trainEval(base *stance.ModelFile, tr, te []*stance.Record, opt stance.TrainOptions) (*stance.Metrics, error) {
	mf, err := stance.Train(base, tr, opt)
	if err != nil {
		return nil, err
	}
	mf.Version = "cv"
	a, err := stance.New(mf)
	if err != nil {
		return nil, err
	}
	return stance.EvaluateRecords(te, a)
}

func readRecords(path string) ([]*stance.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []*stance.Record
	err = stance.ReadNewsMTSC(f, func(r *stance.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}

// baseModel takes the VADER lexicon and boosters from govader (MIT; the
// lexicon is Hutto & Gilbert's, MIT).
func baseModel() *stance.ModelFile {
	sia := govader.NewSentimentIntensityAnalyzer()
	mf := &stance.ModelFile{
		Classes:  []string{"negative", "neutral", "positive"},
		Lexicon:  map[string]float32{},
		Boosters: map[string]float32{},
	}
	for w, v := range sia.Lexicon {
		if isWord(w) {
			mf.Lexicon[w] = float32(v)
		}
	}
	for w, v := range sia.Constants.BoosterDict {
		if isWord(w) {
			mf.Boosters[w] = float32(v)
		}
	}
	return mf
}

// isWord keeps words and drops emoticons and phrases.
func isWord(w string) bool {
	letters := 0
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == '-' || r == '\'':
		default:
			return false
		}
	}
	return letters > 0
}

func writeModel(path string, mf *stance.ModelFile) error {
	body, err := json.MarshalIndent(mf, "", " ")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(body); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes)\n", path, buf.Len())
	return nil
}
