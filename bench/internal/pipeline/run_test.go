package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/services/sink/pgtest"
)

// TestRun runs the whole load test on a few articles: the services and
// nats-server built from this workspace, a throwaway PostgreSQL. It skips
// without PostgreSQL (fails under CI=true) and in -short mode.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the services and runs them: not in -short mode")
	}
	if _, err := pgtest.Binaries(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI: %v", err)
		}
		t.Skipf("skipping: no PostgreSQL: %v", err)
	}
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build the services")
		}
	}
	bin := t.TempDir()
	for name, pkg := range map[string]string{
		"fetcher":     "github.com/newsflow/newsflow/services/fetcher/cmd/fetcher",
		"enricher":    "github.com/newsflow/newsflow/services/enricher/cmd/enricher",
		"sink":        "github.com/newsflow/newsflow/services/sink/cmd/sink",
		"nats-server": "github.com/nats-io/nats-server/v2",
	} {
		cmd := exec.Command(gobin, "build", "-o", filepath.Join(bin, name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress strings.Builder
	res, err := Run(ctx, Config{
		Bin: bin, Seed: 3, Warmup: 5, Articles: 40, HalfDuration: 2 * time.Second, HalfRate: 10,
		CeilingMessages: 300, PhaseTimeout: 3 * time.Minute, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	full, half := res.Phase("full"), res.Phase("half")
	if full == nil || half == nil {
		t.Fatalf("phases %+v", res.Phases)
	}
	if full.Stored != 40 || half.Stored != half.Articles || half.Articles != 20 {
		t.Errorf("stored %d of 40 at full load, %d of %d at half load (want 20)", full.Stored, half.Stored, half.Articles)
	}
	for _, ph := range []*Phase{full, half} {
		if ph.EndToEndPerSecond <= 0 || ph.LatencyMS.P50 <= 0 || ph.LatencyMS.P99 < ph.LatencyMS.P50 {
			t.Errorf("%s: rate %v, latency %+v", ph.Name, ph.EndToEndPerSecond, ph.LatencyMS)
		}
		for _, s := range Services {
			if ph.StagePerSecond[s] <= 0 || len(ph.Times[s]) != ph.Stored {
				t.Errorf("%s: %s rate %v, %d event times", ph.Name, s, ph.StagePerSecond[s], len(ph.Times[s]))
			}
		}
		if ph.Process["enricher"].CPUSeconds <= 0 || ph.Tokens <= 0 {
			t.Errorf("%s: enricher used %v CPU seconds on %v tokens", ph.Name, ph.Process["enricher"].CPUSeconds, ph.Tokens)
		}
		if ph.DeadLetters != 0 {
			t.Errorf("%s: %v dead letters", ph.Name, ph.DeadLetters)
		}
	}
	// Latency is fetch to commit: never more than inbox to commit.
	if full.LatencyMS.Max > full.InboxLatencyMS.Max {
		t.Errorf("fetch-to-commit max %v exceeds inbox-to-commit max %v", full.LatencyMS.Max, full.InboxLatencyMS.Max)
	}
	if res.Ceiling == nil || res.Ceiling.Messages != 300 || res.Ceiling.PerSecond <= 0 {
		t.Errorf("ceiling %+v", res.Ceiling)
	}
	if !res.CommitTimestamps {
		t.Error("commit timestamps were not turned on")
	}
	want := regexp.MustCompile(`^articles_per_s=[0-9]+\.[0-9] p50_ms=[0-9]+\.[0-9] p99_ms=[0-9]+\.[0-9] ceiling_ratio=[0-9]+\.[0-9]{3}$`)
	if !want.MatchString(res.LastLine()) {
		t.Errorf("last line %q", res.LastLine())
	}
}
