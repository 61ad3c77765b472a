// Package secret keeps credentials encrypted at rest: app secrets, service keys, push
// credentials and signing keys are sealed with the server key before they reach PostgreSQL, so
// that a copy of the database alone (a backup, a replica, a leaked dump) does not give them away.
//
// A sealed value is "v1:" + base64url(nonce ‖ AES-256-GCM ciphertext). The caller passes what the
// value belongs to as associated data (for example "push_credentials:42:apns"), so that a sealed
// value copied onto another row does not open there.
package secret

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// KeySize is the length of the server key in bytes.
const KeySize = 32

const (
	version    = "v1:"
	keySetting = "secret_box_key"
)

// ErrNotSealed is returned by Open for a value that was not sealed by a Box (or was damaged).
var ErrNotSealed = errors.New("secret: not a sealed value, or sealed with another key")

// Box seals and opens values with one server key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a KeySize-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: the key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad (what the value belongs to).
func (b *Box) Seal(plaintext []byte, aad string) string {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	out := b.aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return version + base64.RawURLEncoding.EncodeToString(out)
}

// SealString is Seal of a string.
func (b *Box) SealString(plaintext, aad string) string { return b.Seal([]byte(plaintext), aad) }

// Open decrypts what Seal made with the same aad.
func (b *Box) Open(sealed, aad string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return nil, ErrNotSealed
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return nil, ErrNotSealed
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(aad))
	if err != nil {
		return nil, ErrNotSealed
	}
	return plain, nil
}

// OpenString is Open returning a string.
func (b *Box) OpenString(sealed, aad string) (string, error) {
	p, err := b.Open(sealed, aad)
	return string(p), err
}

// IsSealed reports whether v looks like a sealed value (for migrating plaintext rows).
func IsSealed(v string) bool { return strings.HasPrefix(v, version) }

// Fingerprint is what may be shown of a secret instead of the secret: the first 8 bytes of its
// SHA-256 in hex, enough to tell two uploads apart and nothing to recover the secret from.
func Fingerprint(plaintext []byte) string {
	sum := sha256.Sum256(plaintext)
	return hex.EncodeToString(sum[:8])
}

// ServerKey is the configured key (XUQM_SECRET_KEY: 64 hex digits or base64 of 32 bytes) or,
// when none is configured, the one the first server start generated and kept in the database, as
// the JWT signing key is, so that every instance and every restart opens the same values.
func ServerKey(ctx context.Context, q db.Querier, configured string) ([]byte, error) {
	if configured != "" {
		return ParseKey(configured)
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	if err := q.InsertServerSettingIfAbsent(ctx, db.InsertServerSettingIfAbsentParams{Name: keySetting, Value: hex.EncodeToString(k)}); err != nil {
		return nil, fault.Wrap(err, "store the secret key")
	}
	v, err := q.GetServerSetting(ctx, keySetting)
	if err != nil {
		return nil, fault.Wrap(err, "load the secret key")
	}
	return ParseKey(v)
}

// ParseKey reads a key written as 64 hex digits or as base64 (standard or URL, padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if k, err := hex.DecodeString(s); err == nil && len(k) == KeySize {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, fmt.Errorf("secret: the key must be %d bytes as 64 hex digits or base64", KeySize)
}
