package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/xuqmgroup/xuqm/internal/auth"
)

type ctxKey int

const keyRequestInfo ctxKey = 0

// requestInfo is what the middleware knows of a request, in one context value put there
// once (requestContext): a context value of its own for each, with a copy of the request
// each time, cost the send path some 1.3 KiB a request.
type requestInfo struct {
	id   string
	base *slog.Logger // the server's; log is it with the request id, made when first asked for
	log  atomic.Pointer[slog.Logger]
	req  *http.Request // the raw request, for the few responses (ranged downloads) that need it
	// pattern is the route template the gate matched, for the metrics of a request it
	// refuses before chi routes it.
	pattern   string
	principal *auth.Principal // set by the gate
}

func infoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(keyRequestInfo).(*requestInfo)
	return i
}

func requestIDFrom(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.id
	}
	return ""
}

func loggerFrom(ctx context.Context) *slog.Logger {
	i := infoFrom(ctx)
	if i == nil {
		return slog.Default()
	}
	if l := i.log.Load(); l != nil {
		return l
	}
	// Two goroutines of one request may both make it; either will do.
	l := i.base.With("request_id", i.id)
	i.log.Store(l)
	return l
}

// principalFrom is who the request acts as; the gate has put it there for every operation.
func principalFrom(ctx context.Context) *auth.Principal {
	if i := infoFrom(ctx); i != nil && i.principal != nil {
		return i.principal
	}
	return &auth.Principal{}
}

// requestFrom is the raw request, for the few responses (ranged downloads) that need it.
func requestFrom(ctx context.Context) *http.Request {
	if i := infoFrom(ctx); i != nil {
		return i.req
	}
	return nil
}

// remoteHost is the host of the request's remote address, without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
