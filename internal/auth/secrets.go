package auth

import (
	"strconv"
	"sync"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

// Secrets seals app secrets and service keys before they reach the database and opens them
// again. An opened value is remembered by its sealed form, so that a signed request costs no
// decryption once its app has been seen: a rotation stores a new sealed value, which is a new
// entry, and the old one simply stops being asked for.
//
// A value that is not sealed is taken as it is: rows written before sealing existed (and by an
// older instance during a rolling upgrade) keep working until the next start seals them.
// A nil *Secrets seals nothing and opens only plaintext, for tests that need no box.
type Secrets struct {
	box    *secret.Box
	mu     sync.RWMutex
	opened map[string]string
}

// secretEntries bounds the cache; beyond it the cache starts over.
const secretEntries = 10000

// NewSecrets seals with box.
func NewSecrets(box *secret.Box) *Secrets { return &Secrets{box: box} }

// AppSecretAAD names the AppSecret of the app with appKey (known before the row has an id).
func AppSecretAAD(appKey string) string { return "apps:" + appKey + ":app_secret" }

// ServiceKeyAAD names the key of an app's service.
func ServiceKeyAAD(appID int64, service string) string {
	return "app_services:" + strconv.FormatInt(appID, 10) + ":" + service
}

// Seal is what to store for plaintext belonging to aad.
func (s *Secrets) Seal(plaintext, aad string) string {
	if s == nil || s.box == nil {
		return plaintext
	}
	return s.box.SealString(plaintext, aad)
}

// Open is the plaintext of a stored value.
func (s *Secrets) Open(stored, aad string) (string, error) {
	if !secret.IsSealed(stored) {
		return stored, nil
	}
	if s == nil || s.box == nil {
		return "", fault.Wrap(secret.ErrNotSealed, "open the secret of "+aad+" without the server key")
	}
	k := aad + "\x00" + stored
	s.mu.RLock()
	v, ok := s.opened[k]
	s.mu.RUnlock()
	if ok {
		return v, nil
	}
	v, err := s.box.OpenString(stored, aad)
	if err != nil {
		return "", fault.Wrap(err, "open the secret of "+aad)
	}
	s.mu.Lock()
	if s.opened == nil || len(s.opened) >= secretEntries {
		s.opened = make(map[string]string)
	}
	s.opened[k] = v
	s.mu.Unlock()
	return v, nil
}
