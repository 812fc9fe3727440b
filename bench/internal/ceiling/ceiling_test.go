package ceiling

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/newsflow/newsflow/pkg/stage/natstest"
)

func TestRun(t *testing.T) {
	s := natstest.Start(t)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sizes := []int{100, 5000, 0, 1200}
	res, err := Run(ctx, js, Config{Sizes: sizes, Messages: 503, InFlight: 16})
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for i := range 503 {
		want += int64(sizes[i%len(sizes)])
	}
	if res.Messages != 503 || res.Bytes != want {
		t.Errorf("result %+v, want 503 messages and %d bytes", res, want)
	}
	if res.Publish <= 0 || res.Total <= 0 || res.PerSecond() <= 0 || res.PublishPerSecond() <= 0 {
		t.Errorf("durations and rates must be positive: %+v", res)
	}
	if _, err := js.Stream(ctx, "NEWSFLOW_BENCH_CEILING"); err == nil {
		t.Error("the stream was not deleted")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	for _, c := range []Config{{Sizes: []int{1}}, {Messages: 1}, {Messages: 1, Sizes: []int{-1}}} {
		if _, err := Run(context.Background(), nil, c); err == nil {
			t.Errorf("Run(%+v) succeeded", c)
		}
	}
}
