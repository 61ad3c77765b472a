package auth

import "context"

// The caller's address lives here, beside the Principal, because it is the other half of "who
// is calling" that the services need (per-address rate limits, the audit log) and every service
// already imports this package for the Principal. It travels in the context, not in the
// Principal, because the operations that count per address (sign-in, mail codes, password
// reset) run before there is any principal to carry it; the HTTP layer sets it once, in its
// request middleware, for every request.

type addrKey struct{}

// WithClientAddr returns ctx carrying addr: the host (without port) the request came from.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addrKey{}, addr)
}

// ClientAddr is the address of the caller ctx serves, "" when there is none (work the server
// starts itself).
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(addrKey{}).(string)
	return a
}
