package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
)

// The request middleware puts the caller's address, without its port, where the services
// read it (auth.ClientAddr).
func TestRequestContextCarriesTheClientAddress(t *testing.T) {
	var got string
	h := requestContext(slog.Default())(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = auth.ClientAddr(r.Context())
	}))
	for remote, want := range map[string]string{
		"203.0.113.7:51234":   "203.0.113.7",
		"[2001:db8::1]:443":   "2001:db8::1",
		"@unix-socket-caller": "@unix-socket-caller", // no port to take off
	} {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.RemoteAddr = remote
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != want {
			t.Errorf("remote %q: address %q, want %q", remote, got, want)
		}
	}
}
