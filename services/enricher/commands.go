package enricher

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/newsflow/newsflow/pkg/events"
	"github.com/newsflow/newsflow/pkg/shareddata"
	"github.com/newsflow/newsflow/services/enricher/internal/gazetteer"
	"github.com/newsflow/newsflow/services/enricher/internal/ner"
	"github.com/newsflow/newsflow/services/enricher/internal/stance"
)

// Commands are the enricher's subcommands for people, besides running the stage.
var Commands = map[string]string{
	"tag":      "tag -format conll < text: append the predicted IOB2 tag to every CoNLL-2003 line",
	"annotate": "annotate < article.txt: print the article's enriched event as JSON",
	"stance":   "stance -format newsmtsc < lines: print {\"gid\",\"polarity\"} for every NewsMTSC target",
	"eval":     "eval [-data DIR]: scores on the dev splits (NER on CoNLL-2003 valid.txt, stance on NewsMTSC dev)",
}

// IsCommand reports whether name is one of Commands.
func IsCommand(name string) bool { _, ok := Commands[name]; return ok }

// Command runs a subcommand with its arguments.
func Command(ctx context.Context, name string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("enricher "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch name {
	case "tag":
		format := fs.String("format", "conll", "input format: conll")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *format != "conll" {
			return fmt.Errorf("tag: -format %q is not supported (conll)", *format)
		}
		model, err := loadModel()
		if err != nil {
			return err
		}
		return ner.TagCoNLL(stdin, stdout, model)
	case "stance":
		format := fs.String("format", "newsmtsc", "input format: newsmtsc")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *format != "newsmtsc" {
			return fmt.Errorf("stance: -format %q is not supported (newsmtsc)", *format)
		}
		a, err := stance.Load()
		if err != nil {
			return err
		}
		return stance.TagNewsMTSC(stdin, stdout, a)
	case "annotate":
		source := fs.String("source", "stdin", "source ID to stamp on the article")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return annotate(stdin, stdout, *source)
	case "eval":
		data := fs.String("data", "", "shared data directory (default ../shared/data or $"+shareddata.EnvVar+")")
		if err := fs.Parse(args); err != nil {
			return err
		}
		return eval(*data, stdout)
	}
	return fmt.Errorf("unknown command %q", name)
}

func loadModel() (*ner.Model, error) {
	gz, err := gazetteer.Load()
	if err != nil {
		return nil, err
	}
	return ner.Load(gz)
}

// annotate enriches one article read as text (the inbox format is not
// parsed: the whole input is the body).
func annotate(stdin io.Reader, stdout io.Writer, source string) error {
	b, err := io.ReadAll(io.LimitReader(stdin, events.MaxBodyBytes+1))
	if err != nil {
		return err
	}
	if len(b) > events.MaxBodyBytes {
		return fmt.Errorf("annotate: input is larger than %d bytes", events.MaxBodyBytes)
	}
	body := string(b)
	raw := events.RawArticle{
		SchemaVersion: events.SchemaVersion, ID: events.ArticleIDFromContent(body), Source: source,
		SourceKind: events.KindPush, Title: firstLine(body), Body: body, FetchedAt: time.Now().UTC(),
		ContentHash: events.ContentHash(body),
	}
	if err := raw.Validate(); err != nil {
		return fmt.Errorf("annotate: %w", err)
	}
	enr, err := New("cli")
	if err != nil {
		return err
	}
	out := enr.Enrich(raw).Article
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
		if i > 300 {
			return s[:i]
		}
	}
	return s
}

func eval(dataDir string, stdout io.Writer) error {
	if dataDir == "" {
		d, err := shareddata.Dir()
		if err != nil {
			return err
		}
		dataDir = d
	}
	f, err := os.Open(filepath.Join(dataDir, "ner", "conll2003", "valid.txt"))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	docs, err := ner.ReadCoNLL(f)
	if err != nil {
		return err
	}
	model, err := loadModel()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "NER on CoNLL-2003 valid.txt (%d documents), model %s; entity-level exact match (conlleval)\n\n",
		len(docs), model.Version())
	if err := ner.EvaluateRecognizer(docs, model).WriteTable(stdout); err != nil {
		return err
	}
	a, err := stance.Load()
	if err != nil {
		return err
	}
	for _, split := range []string{"dev_mt", "dev_rw"} {
		f, err := os.Open(filepath.Join(dataDir, "sentiment", "newsmtsc", split+".jsonl"))
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		m, err := stance.EvaluateNewsMTSC(f, a)
		f.Close()
		if err != nil {
			return fmt.Errorf("eval %s: %w", split, err)
		}
		fmt.Fprintln(stdout)
		if err := m.Print(stdout, fmt.Sprintf("Entity stance on NewsMTSC %s.jsonl, model %s", split, a.Version())); err != nil {
			return err
		}
	}
	return nil
}
