package health

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "newsflow_test_things_total", Help: "x"})
	reg.MustRegister(c)
	c.Add(3)
	s := New(reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var dbErr error
	s.AddCheck("nats", func(context.Context) error { return nil })
	s.AddCheck("db", func(context.Context) error { return dbErr })

	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "newsflow_test_things_total 3") {
		t.Fatalf("/metrics = %d %q", code, body)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("/readyz = %d with every check passing", code)
	}
	dbErr = errors.New("connection refused")
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Fatalf("/readyz = %d %q with a failing check", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	s.Fail(errors.New("consumer deleted"))
	if code, body := get("/healthz"); code != 503 || !strings.Contains(body, "consumer deleted") {
		t.Fatalf("/healthz after Fail = %d %q", code, body)
	}
}

func TestListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := New(prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	addr, done, err := s.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	<-done
}
