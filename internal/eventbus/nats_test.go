package eventbus_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/eventbus/natstest"
)

func TestNATSCarriesEventsBetweenInstances(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	prefix := "test" + auth.RandomHex(6)
	url := natstest.URL(t)
	a, err := eventbus.NewNATS(url, prefix, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := eventbus.NewNATS(url, prefix, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	other, err := eventbus.NewNATS(url, prefix+"x", log)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	var mu sync.Mutex
	got := map[string][]string{}
	record := func(who string) eventbus.Handler {
		return func(subject string, data []byte) {
			mu.Lock()
			got[who] = append(got[who], subject+"="+string(data))
			mu.Unlock()
		}
	}
	if _, err := b.Subscribe("im.>", record("b-im")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe("update.changed", record("b-update")); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Subscribe(">", record("other")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*eventbus.NATS{b, other} {
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, e := range [][2]string{{"im.deliver", "1"}, {"im.kick", "2"}, {"update.changed", "3"}, {"platform.app.changed", "4"}} {
		if err := a.Publish(ctx, e[0], []byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := len(got["b-im"]) == 2 && len(got["b-update"]) == 1
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // anything stray arrives by now
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"im.deliver=1", "im.kick=2"}; len(got["b-im"]) != 2 || got["b-im"][0] != want[0] || got["b-im"][1] != want[1] {
		t.Errorf("im.> got %v, want %v (subjects without the prefix, in order)", got["b-im"], want)
	}
	if len(got["b-update"]) != 1 || got["b-update"][0] != "update.changed=3" {
		t.Errorf("update.changed got %v", got["b-update"])
	}
	if len(got["other"]) != 0 {
		t.Errorf("another prefix heard %v", got["other"])
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, "im.deliver", nil); err == nil {
		t.Error("publish after close succeeded")
	}
}
