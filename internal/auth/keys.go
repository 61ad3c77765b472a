package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

const signingKeySetting = "jwt_signing_key"

// SigningKey is the configured key or, when none is, the one the first server start made and
// kept in the database, so that tokens survive restarts and hold across instances.
func SigningKey(ctx context.Context, q db.Querier, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	if err := q.InsertServerSettingIfAbsent(ctx, db.InsertServerSettingIfAbsentParams{Name: signingKeySetting, Value: RandomHex(32)}); err != nil {
		return nil, fault.Wrap(err, "store signing key")
	}
	v, err := q.GetServerSetting(ctx, signingKeySetting)
	if err != nil {
		return nil, fault.Wrap(err, "load signing key")
	}
	return []byte(v), nil
}

// RandomHex returns n random bytes as hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

// PurgeNonces forgets the nonces whose requests would no longer be accepted at the
// authenticator's clock.
func (a *Authenticator) PurgeNonces(ctx context.Context) (int64, error) {
	return a.q.DeleteExpiredRequestNonces(ctx, a.now())
}
