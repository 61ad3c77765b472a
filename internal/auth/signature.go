package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// SignatureWindow is how far a signed request's timestamp may be from the server clock. A
// nonce is remembered until its request's timestamp plus the window, the last moment at which
// the request would still be accepted.
const SignatureWindow = 5 * time.Minute

// SignedRequest is what an app-server signature covers.
type SignedRequest struct {
	Method    string
	Path      string // the escaped path as sent, without the query
	RawQuery  string
	Timestamp string // Unix milliseconds
	Nonce     string
	BodyHash  string // hex SHA-256 of the body
}

// CanonicalQuery re-encodes a query with its keys sorted, as url.Values.Encode does.
func CanonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return rawQuery // the signature will not match; the validator reports the query
	}
	return v.Encode()
}

// HashBody is the hex SHA-256 the signature uses for a body.
func HashBody(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Sign computes X-App-Signature for a request with secret.
func Sign(secret string, r SignedRequest) string {
	m := hmac.New(sha256.New, []byte(secret))
	for i, part := range []string{strings.ToUpper(r.Method), r.Path, CanonicalQuery(r.RawQuery), r.Timestamp, r.Nonce, r.BodyHash} {
		if i > 0 {
			m.Write([]byte{'\n'})
		}
		m.Write([]byte(part))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Nonce limits of the contract (AppNonce): a nonce outside them is refused before anything
// is stored.
const (
	minNonceLen = 8
	maxNonceLen = 64
)

// checkSignature verifies the request's shape, the timestamp window and the signature, and
// returns the signed timestamp; the nonce's use is the caller's.
func checkSignature(secret, signature string, r SignedRequest, now time.Time) (time.Time, error) {
	if r.Timestamp == "" || r.Nonce == "" || signature == "" {
		return time.Time{}, fault.Unauthorizedf("a signed request needs X-App-Timestamp, X-App-Nonce and X-App-Signature")
	}
	if n := len(r.Nonce); n < minNonceLen || n > maxNonceLen {
		return time.Time{}, fault.InvalidField("X-App-Nonce", "must be %d to %d characters long", minNonceLen, maxNonceLen)
	}
	ms, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil || len(r.Timestamp) > 16 {
		return time.Time{}, fault.Unauthorizedf("X-App-Timestamp must be Unix milliseconds")
	}
	at := time.UnixMilli(ms)
	if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
		return time.Time{}, fault.Unauthorizedf("X-App-Timestamp is more than 5 minutes off the server clock (%s)", now.UTC().Format(time.RFC3339))
	}
	want := Sign(secret, r)
	if !hmac.Equal([]byte(strings.ToLower(signature)), []byte(want)) {
		return time.Time{}, fault.Unauthorizedf("X-App-Signature does not match the request")
	}
	return at, nil
}
