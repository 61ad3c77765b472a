package auth

import (
	"testing"
	"time"
)

// FuzzCheckSignature: the signature check never panics on any header values, and it accepts
// only a request whose signature is the one Sign computes with the secret, inside the window.
// The corpus in testdata/fuzz/FuzzCheckSignature runs with every `go test`.
func FuzzCheckSignature(f *testing.F) {
	now := time.UnixMilli(1_800_000_000_000)
	f.Add("POST", "/api/im/auth/login", "userId=u1&appId=ak_x", "1800000000000", "nonce-0001", "", "secret")
	f.Add("GET", "/api/im/admin/users", "appId=ak_x&page=0&size=20", "1799999999999", "abcdefgh", "00", "k")
	f.Add("PUT", "/api/im/accounts/%E4%BD%A0", "a=%zz&b", "-1", "n", "ZZ", "")
	f.Add("DELETE", "/x", "", "18000000000000000000", "nonce-nonce-nonce", "deadbeef", "s")
	f.Fuzz(func(t *testing.T, method, path, query, ts, nonce, signature, secret string) {
		r := SignedRequest{Method: method, Path: path, RawQuery: query, Timestamp: ts, Nonce: nonce, BodyHash: HashBody([]byte(query))}
		// The fuzzer's signature as sent, and the right one: only the right one may pass.
		if _, err := checkSignature(secret, signature, r, now); err == nil && signature != Sign(secret, r) && signature != toUpperHex(Sign(secret, r)) {
			t.Errorf("accepted a wrong signature %q", signature)
		}
		at, err := checkSignature(secret, Sign(secret, r), r, now)
		if err == nil {
			if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
				t.Errorf("accepted a timestamp %s off the clock", d)
			}
			if n := len(nonce); n < minNonceLen || n > maxNonceLen {
				t.Errorf("accepted a nonce of %d bytes", n)
			}
		}
		_ = CanonicalQuery(query)
	})
}

func toUpperHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
