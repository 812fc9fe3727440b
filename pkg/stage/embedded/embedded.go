// Package embedded runs a NATS server with JetStream inside the process:
// the local one-process stack and the integration tests use it.
package embedded

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options of an embedded server.
type Options struct {
	Host string // default 127.0.0.1
	// Port to listen on; 0 picks a free port.
	Port int
	// StoreDir is where JetStream keeps its files (required).
	StoreDir string
	// MaxPayload is the largest message accepted; default 8 MiB.
	MaxPayload int32
	// Name of the server; default "newsflow-local".
	Name string
	// Logs makes the server log to stderr.
	Logs bool
}

// Start starts a server and waits until it accepts connections.
func Start(o Options) (*server.Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("embedded nats: StoreDir is required")
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = 8 << 20
	}
	if o.Name == "" {
		o.Name = "newsflow-local"
	}
	opts := &server.Options{
		ServerName: o.Name,
		Host:       o.Host,
		Port:       o.Port,
		JetStream:  true,
		StoreDir:   o.StoreDir,
		MaxPayload: o.MaxPayload,
		NoSigs:     true,
		NoLog:      !o.Logs,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	if o.Logs {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, errors.New("embedded nats: not ready after 30s")
	}
	return s, nil
}
