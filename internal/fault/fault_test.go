package fault

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestKindStatus(t *testing.T) {
	want := map[Kind]int{
		Internal:       http.StatusInternalServerError,
		Invalid:        http.StatusBadRequest,
		Unauthorized:   http.StatusUnauthorized,
		Forbidden:      http.StatusForbidden,
		NotFound:       http.StatusNotFound,
		Conflict:       http.StatusConflict,
		TooLarge:       http.StatusRequestEntityTooLarge,
		Unsupported:    http.StatusUnsupportedMediaType,
		RateLimited:    http.StatusTooManyRequests,
		NotImplemented: http.StatusNotImplemented,
		Unavailable:    http.StatusServiceUnavailable,
	}
	if len(want) != len(kindStatus) || len(kindNames) != len(kindStatus) {
		t.Fatalf("%d kinds tested, %d statuses, %d names: every kind needs one of each", len(want), len(kindStatus), len(kindNames))
	}
	for k, s := range want {
		if got := k.Status(); got != s {
			t.Errorf("%v.Status() = %d, want %d", k, got, s)
		}
	}
	if got := Kind(len(kindStatus)).Status(); got != 500 {
		t.Errorf("unknown kind: status %d, want 500", got)
	}
}

func TestUnavailablef(t *testing.T) {
	e := Unavailablef(2*time.Second, "shutting down (%s)", "test")
	if e.Kind != Unavailable || e.RetryAfter != 2*time.Second || e.Message != "shutting down (test)" {
		t.Fatalf("got %+v", e)
	}
	if !Is(fmt.Errorf("wrapped: %w", e), Unavailable) {
		t.Fatal("Is does not see the wrapped kind")
	}
	if got := As(context.Canceled).Kind; got != Internal {
		t.Fatalf("a plain error is %v, want internal", got)
	}
}
