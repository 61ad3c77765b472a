// Package auth issues and checks the platform's credentials: JWTs of four kinds and the
// app-server signature, and turns them into the Principal a request acts as.
package auth

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

func init() {
	// Millisecond iat, so that "tokens issued before the reset" means just that even
	// when a reset and a login fall in the same second.
	jwt.TimePrecision = time.Millisecond
}

// Kind is the kind of caller, and the `typ` claim of its tokens.
type Kind string

// The kinds of caller.
const (
	KindTenant    Kind = "tenant"
	KindOps       Kind = "ops"
	KindIM        Kind = "im"
	KindDemo      Kind = "demo"
	KindAppServer Kind = "app-server" // a signed request; never a token
)

// Claims are what a token says about its holder. Subject is the tenant account id, the
// operator id, the IM user id or the demo user name, depending on Typ.
type Claims struct {
	jwt.RegisteredClaims
	Typ      Kind   `json:"typ"`
	TenantID int64  `json:"tid,omitempty"`
	AppID    int64  `json:"app,omitempty"`
	Role     string `json:"role,omitempty"`
	// AppKeyClaim is the app's key in IM tokens.
	AppKeyClaim string `json:"ak,omitempty"`
}

// Tokens signs and checks JWTs with one HMAC key.
type Tokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time

	// checked holds the claims of tokens whose signature held, by the token itself: an IM
	// client sends the same token with every message, and decoding its JSON again each time
	// cost as much CPU as the rest of the send's authentication. A token's claims never
	// change; its lifetime is checked again at every use.
	mu      sync.RWMutex
	checked map[string]*Claims
}

// checkedTokens bounds the cache; past it the cache starts over, so that no stream of
// tokens can grow it.
const checkedTokens = 10000

// NewTokens returns a signer whose tokens live for ttl.
func NewTokens(key []byte, ttl time.Duration) *Tokens {
	return &Tokens{key: key, ttl: ttl, now: time.Now}
}

// Issue signs a token of the claims' kind for subject; it returns the token and its expiry.
func (t *Tokens) Issue(c Claims, subject string) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.ttl).Truncate(time.Millisecond)
	c.Subject = subject
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(exp)
	c.ID = uuid.NewString()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", time.Time{}, fault.Wrap(err, "sign token")
	}
	return s, exp, nil
}

// Parse checks a token's signature and lifetime and returns its claims.
func (t *Tokens) Parse(token string) (*Claims, error) {
	t.mu.RLock()
	known := t.checked[token]
	t.mu.RUnlock()
	if known != nil {
		if !t.now().Before(known.ExpiresAt.Time) {
			return nil, fault.Unauthorizedf("the token has expired; log in again")
		}
		c := *known
		return &c, nil
	}
	c, err := t.parse(token)
	if err != nil {
		return nil, err
	}
	keep := *c
	t.mu.Lock()
	if t.checked == nil || len(t.checked) >= checkedTokens {
		t.checked = make(map[string]*Claims)
	}
	t.checked[token] = &keep
	t.mu.Unlock()
	return c, nil
}

func (t *Tokens) parse(token string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(t.now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fault.Unauthorizedf("the token has expired; log in again")
	case err != nil:
		return nil, fault.Unauthorizedf("the token is not valid")
	case c.Typ == "" || c.Subject == "":
		return nil, fault.Unauthorizedf("the token is not valid")
	}
	return &c, nil
}

// issuedAt is the token's iat, zero when absent.
func (c *Claims) issuedAt() time.Time {
	if c.IssuedAt == nil {
		return time.Time{}
	}
	return c.IssuedAt.Time
}

// subjectID is the numeric subject of tenant and operator tokens.
func (c *Claims) subjectID() (int64, error) {
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil {
		return 0, fault.Unauthorizedf("the token is not valid")
	}
	return id, nil
}

// appKey is the key of an IM token's app, kept in the token so that the WebSocket, which
// has no appId parameter, knows the app.
func (c *Claims) appKey() string { return c.AppKeyClaim }
