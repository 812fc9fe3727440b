//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// TestMain sets the testcontainers defaults this suite relies on, each
// overridable from the environment:
//   - TESTCONTAINERS_RYUK_DISABLED=true: no reaper container (its image
//     cannot be pulled here); the tests remove what they start.
//   - TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: reach mapped ports on the
//     loopback interface, never through a gateway address guessed when the
//     test itself runs in a container.
//
// Without a Docker daemon the tests are skipped, except under CI=true.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{
		"TESTCONTAINERS_RYUK_DISABLED": "true",
		"TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
	} {
		if _, ok := os.LookupEnv(k); !ok {
			os.Setenv(k, v)
		}
	}
	if os.Getenv("E2E_VERBOSE") == "" {
		tclog.SetDefault(tclog.NewNoopLogger())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := dockerAvailable(ctx)
	cancel()
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "e2e: Docker is required under CI=true:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "e2e: skipping, no Docker daemon:", err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func dockerAvailable(ctx context.Context) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Health(ctx)
}
