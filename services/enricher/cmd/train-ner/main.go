// Command train-ner trains the enricher's named-entity model on CoNLL-2003
// (train.txt, with valid.txt to choose the epoch) and writes the compact
// model file that package ner embeds.
//
//	go run ./services/enricher/cmd/train-ner -data ../shared/data -out services/enricher/internal/ner/model/ner.bin
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
)

func main() {
	def := ner.DefaultTrainOptions()
	data := flag.String("data", "", "shared data directory (default: <repo>/../shared/data or $"+shareddata.EnvVar+")")
	out := flag.String("out", "services/enricher/internal/ner/model/ner.bin", "model file to write")
	epochs := flag.Int("epochs", def.Epochs, "training epochs (the best on valid.txt is kept)")
	seed := flag.Uint64("seed", def.Seed, "seed of the document order")
	ensemble := flag.Int("ensemble", def.Ensemble, "average the weights of this many models trained with seeds seed, seed+1, ...")
	minCount := flag.Int("min-count", def.MinCount, "drop features seen fewer times in training")
	prune := flag.Float64("prune", float64(def.Prune), "drop features whose largest weight is smaller")
	history := flag.Bool("history", def.History, "use document prediction-history features")
	aggregate := flag.Bool("aggregate", def.Aggregate, "use context aggregation over a word's other occurrences")
	noDev := flag.Bool("no-dev", false, "do not score valid.txt after each epoch; keep the last epoch")
	noGaz := flag.Bool("no-gazetteer", false, "ablation: train and score with an empty gazetteer (the model is not usable by the enricher)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := def
	opts.Epochs, opts.Seed, opts.MinCount, opts.Prune, opts.History = *epochs, *seed, *minCount, float32(*prune), *history
	opts.Aggregate = *aggregate
	opts.Ensemble = *ensemble
	opts.Log = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *data, *out, !*noDev, *noGaz, opts, log); err != nil {
		log.Error("train-ner", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, data, out string, useDev, noGaz bool, opts ner.TrainOptions, log *slog.Logger) error {
	if data == "" {
		d, err := shareddata.Dir()
		if err != nil {
			return err
		}
		data = d
	}
	gz, err := gazetteer.Load()
	if noGaz {
		gz, err = gazetteer.Parse(strings.NewReader("C\tZZ\tNowhere\t\t\t\n"))
		opts.Name += "-nogaz"
	}
	if err != nil {
		return err
	}
	train, err := readCoNLL(filepath.Join(data, "ner", "conll2003", "train.txt"))
	if err != nil {
		return err
	}
	if useDev {
		opts.Dev, err = readCoNLL(filepath.Join(data, "ner", "conll2003", "valid.txt"))
		if err != nil {
			return err
		}
	}
	log.Info("training", "documents", len(train), "dev_documents", len(opts.Dev), "epochs", opts.Epochs, "seed", opts.Seed, "history", opts.History)
	m, err := ner.Train(ctx, train, gz, opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	log.Info("model written", "out", out, "bytes", buf.Len(), "version", m.Version(), "features", m.Features())
	if len(opts.Dev) > 0 {
		start := time.Now()
		back, err := ner.Read(bytes.NewReader(buf.Bytes()), gz)
		if err != nil {
			return fmt.Errorf("reading back the model: %w", err)
		}
		rep := ner.EvaluateRecognizer(opts.Dev, back)
		log.Info("dev evaluation of the written model", "load", time.Since(start).Round(time.Millisecond))
		return rep.WriteTable(os.Stderr)
	}
	return nil
}

func readCoNLL(path string) ([]ner.AnnotatedDoc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ner.ReadCoNLL(f)
}
