// Package password hashes passwords with Argon2id and checks them, in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash) so that stored hashes name their own parameters and
// can be verified after the defaults change.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// The parameters of new hashes: OWASP's first Argon2id recommendation (19 MiB, 2 passes).
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	saltLen   = 16
	keyLen    = 32
)

// hashing bounds how many hashes run at once: each holds memoryKiB, and a burst of logins
// must not take the machine's memory.
var hashing = make(chan struct{}, 4)

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of a new salted Argon2id hash of pw.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := derive(pw, salt, passes, memoryKiB, lanes, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, memoryKiB, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC string encoded. A malformed hash matches nothing.
func Verify(encoded, pw string) bool {
	p, err := parse(encoded)
	if err != nil {
		return false
	}
	key := derive(pw, p.salt, p.passes, p.memory, p.lanes, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// Dummy is a valid hash of a random password: verifying against it costs what a real check
// costs, so that an unknown account answers as slowly as a wrong password.
var Dummy = func() string {
	h, err := Hash(rand.Text())
	if err != nil {
		panic(err)
	}
	return h
}()

// derivations counts Argon2 derivations, so that tests can tell which paths pay for one.
var derivations atomic.Int64

// Derivations is how many Argon2 derivations (hashes and checks) this process has run.
func Derivations() int64 { return derivations.Load() }

func derive(pw string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	derivations.Add(1)
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return argon2.IDKey([]byte(pw), salt, t, m, p, n)
}

type params struct {
	memory, passes uint32
	lanes          uint8
	salt, key      []byte
}

var errFormat = errors.New("password: not an argon2id PHC string")

func parse(encoded string) (params, error) {
	var p params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, errFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, errFormat
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.passes, &p.lanes); err != nil {
		return p, errFormat
	}
	// Bounds keep a corrupt row from asking for gigabytes.
	if p.memory < 8 || p.memory > 1<<20 || p.passes < 1 || p.passes > 10 || p.lanes < 1 {
		return p, errFormat
	}
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, errFormat
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 {
		return p, errFormat
	}
	return p, nil
}
