package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"

	"github.com/xuqmgroup/xuqm/internal/auth"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
	keyPrincipal
	keyRequest
	keyRouteLabel
)

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// principalFrom is who the request acts as; the gate has put it there for every operation.
func principalFrom(ctx context.Context) *auth.Principal {
	if p, ok := ctx.Value(keyPrincipal).(*auth.Principal); ok {
		return p
	}
	return &auth.Principal{}
}

// requestFrom is the raw request, for the few responses (ranged downloads) that need it.
func requestFrom(ctx context.Context) *http.Request {
	r, _ := ctx.Value(keyRequest).(*http.Request)
	return r
}

// remoteHost is the host of the request's remote address, without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
