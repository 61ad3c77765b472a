package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

func TestCanonicalQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                        "",
		"userId=u1&appId=ak_demo": "appId=ak_demo&userId=u1",
		"b=2&a=1&a=0":             "a=1&a=0&b=2",
		"q=hello%20world":         "q=hello+world",
		"k=%E4%BD%A0%E5%A5%BD":    "k=%E4%BD%A0%E5%A5%BD",
	} {
		if got := CanonicalQuery(raw); got != want {
			t.Errorf("CanonicalQuery(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestSignatureCoversEveryPart(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	base := SignedRequest{Method: "POST", Path: "/api/im/auth/login", RawQuery: "userId=u1&appId=ak_x",
		Timestamp: "1800000000000", Nonce: "nonce-0001", BodyHash: HashBody(nil)}
	sig := Sign("secret", base)
	if _, err := checkSignature("secret", sig, base, now); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	// The same query in another order signs the same.
	reordered := base
	reordered.RawQuery = "appId=ak_x&userId=u1"
	if _, err := checkSignature("secret", sig, reordered, now); err != nil {
		t.Errorf("reordered query refused: %v", err)
	}
	for name, change := range map[string]func(*SignedRequest){
		"method": func(r *SignedRequest) { r.Method = "GET" },
		"path":   func(r *SignedRequest) { r.Path = "/api/im/auth/logout" },
		"query":  func(r *SignedRequest) { r.RawQuery = "userId=u2&appId=ak_x" },
		"nonce":  func(r *SignedRequest) { r.Nonce = "nonce-0002" },
		"body":   func(r *SignedRequest) { r.BodyHash = HashBody([]byte("{}")) },
	} {
		r := base
		change(&r)
		if _, err := checkSignature("secret", sig, r, now); !fault.Is(err, fault.Unauthorized) {
			t.Errorf("changed %s: %v, want unauthorized", name, err)
		}
	}
	if _, err := checkSignature("other", sig, base, now); !fault.Is(err, fault.Unauthorized) {
		t.Errorf("other secret: %v", err)
	}
	for _, skew := range []time.Duration{-5*time.Minute - time.Second, 5*time.Minute + time.Second} {
		if _, err := checkSignature("secret", sig, base, now.Add(skew)); err == nil || !strings.Contains(err.Error(), "5 minutes") {
			t.Errorf("clock skew %v: %v", skew, err)
		}
	}
	if _, err := checkSignature("secret", sig, base, now.Add(4*time.Minute)); err != nil {
		t.Errorf("inside the window: %v", err)
	}
}

func TestTokens(t *testing.T) {
	tokens := NewTokens([]byte("key-key-key-key-key-key-key-key!"), time.Hour)
	tok, exp, err := tokens.Issue(Claims{Typ: KindIM, AppID: 7, AppKeyClaim: "ak_x"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(exp); d < 59*time.Minute || d > time.Hour {
		t.Errorf("expiry %v from now", d)
	}
	c, err := tokens.Parse(tok)
	if err != nil || c.Typ != KindIM || c.Subject != "alice" || c.AppID != 7 || c.appKey() != "ak_x" {
		t.Fatalf("parse: %+v %v", c, err)
	}
	// An unsigned token ("alg": "none") and a token without a kind are refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Typ: KindOps, RegisteredClaims: jwt.RegisteredClaims{
		Subject: "1", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	noKind, _, _ := tokens.Issue(Claims{}, "1")
	for name, bad := range map[string]string{"none": none, "no kind": noKind, "tampered": tok[:len(tok)-2] + "xx"} {
		if _, err := tokens.Parse(bad); !fault.Is(err, fault.Unauthorized) {
			t.Errorf("%s: %v", name, err)
		}
	}
	expired := NewTokens([]byte("key-key-key-key-key-key-key-key!"), -time.Second)
	old, _, _ := expired.Issue(Claims{Typ: KindIM}, "alice")
	if _, err := tokens.Parse(old); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

// TestCheckedTokenStillExpires: a token checked once is known by the cache, which still
// refuses it once it has expired, and knows nothing of a forged token of the same claims.
func TestCheckedTokenStillExpires(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	tokens := NewTokens([]byte("key-key-key-key-key-key-key-key!"), time.Minute)
	tokens.now = func() time.Time { return now }
	tok, _, err := tokens.Issue(Claims{Typ: KindIM, AppID: 7}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if c, err := tokens.Parse(tok); err != nil || c.Subject != "alice" {
			t.Fatalf("parse: %+v %v", c, err)
		}
	}
	other := NewTokens([]byte("another-key-another-key-another!"), time.Minute)
	other.now = tokens.now
	forged, _, _ := other.Issue(Claims{Typ: KindIM, AppID: 7}, "alice")
	if _, err := tokens.Parse(forged); !fault.Is(err, fault.Unauthorized) {
		t.Errorf("a token of another key: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := tokens.Parse(tok); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("after its expiry: %v", err)
	}
}
