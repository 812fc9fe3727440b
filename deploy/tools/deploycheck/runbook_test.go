package deploycheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/deploy/tools/rules"
)

// githubAnchor is the anchor GitHub gives a Markdown heading.
func githubAnchor(heading string) string {
	s := strings.ToLower(strings.TrimSpace(heading))
	s = regexp.MustCompile(`[^\p{L}\p{N} _-]`).ReplaceAllString(s, "")
	return strings.ReplaceAll(s, " ", "-")
}

func TestRunbooksExist(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot(t), "docs", "OPERATIONS.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	anchors := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if h, ok := strings.CutPrefix(sc.Text(), "#"); ok {
			anchors[githubAnchor(strings.TrimLeft(h, "#"))] = true
		}
	}
	for _, r := range rules.Newsflow().Alerts() {
		url := r.Annotations["runbook_url"]
		base, anchor, ok := strings.Cut(url, "#")
		if !ok || base != rules.RunbookBase {
			t.Errorf("%s: runbook_url %q is not a section of docs/OPERATIONS.md", r.Alert, url)
			continue
		}
		if !anchors[anchor] {
			t.Errorf("%s: docs/OPERATIONS.md has no section #%s", r.Alert, anchor)
		}
	}
}

func TestGithubAnchor(t *testing.T) {
	for in, want := range map[string]string{
		" NewsflowStageDown":                      "newsflowstagedown",
		"Replay (re-enrichment with a new model)": "replay-re-enrichment-with-a-new-model",
		"1. NATS": "1-nats",
	} {
		if got := githubAnchor(in); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", in, got, want)
		}
	}
}
