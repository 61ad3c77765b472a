package eventbus_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
)

func TestLocalDeliversToMatchingSubscribers(t *testing.T) {
	bus := eventbus.NewLocal()
	ctx := context.Background()
	var got []string
	record := func(name string) eventbus.Handler {
		return func(subject string, data []byte) { got = append(got, name+":"+subject+":"+string(data)) }
	}
	exact, _ := bus.Subscribe("im.deliver", record("exact"))
	if _, err := bus.Subscribe("im.>", record("prefix")); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Subscribe("cache.apps", record("other")); err != nil {
		t.Fatal(err)
	}
	_ = bus.Publish(ctx, "im.deliver", []byte("a"))
	_ = bus.Publish(ctx, "im.kick", []byte("b"))
	if err := exact.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	_ = bus.Publish(ctx, "im.deliver", []byte("c"))
	want := []string{"exact:im.deliver:a", "prefix:im.deliver:a", "prefix:im.kick:b", "prefix:im.deliver:c"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	_ = bus.Close()
	if err := bus.Publish(ctx, "im.deliver", nil); !errors.Is(err, eventbus.ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
}
