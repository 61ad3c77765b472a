package testserver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
)

// Signed is a client option that signs the request as an app's back end would, with secret
// (the AppSecret for IM login, a service's key elsewhere). Set at to sign with another clock
// and nonce to reuse one; zero values take now and a fresh nonce.
func Signed(secret string, at time.Time, nonce string) api.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		if at.IsZero() {
			at = time.Now()
		}
		if nonce == "" {
			nonce = auth.RandomHex(12)
		}
		var body []byte
		if r.Body != nil {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			body = b
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		ts := strconv.FormatInt(at.UnixMilli(), 10)
		r.Header.Set("X-App-Timestamp", ts)
		r.Header.Set("X-App-Nonce", nonce)
		r.Header.Set("X-App-Signature", auth.Sign(secret, auth.SignedRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Timestamp: ts, Nonce: nonce, BodyHash: auth.HashBody(body),
		}))
		return nil
	}
}

// AppKeyHeader is a client option naming the app of a signed request whose route has no appId
// query parameter.
func AppKeyHeader(appKey string) api.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-App-Key", appKey)
		return nil
	}
}
