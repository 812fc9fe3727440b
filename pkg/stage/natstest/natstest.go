// Package natstest starts an in-process NATS server with JetStream for
// tests, its store in a temporary directory.
package natstest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/newsflow/newsflow/pkg/stage/embedded"
)

// Start starts a server that stops when the test ends.
func Start(t testing.TB) *server.Server {
	t.Helper()
	return StartIn(t, t.TempDir())
}

// StartIn starts a server with its store in dir, so a test can stop it
// and start another on the same files.
func StartIn(t testing.TB, dir string) *server.Server {
	t.Helper()
	s, err := embedded.Start(embedded.Options{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}
