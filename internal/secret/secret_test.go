package secret_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func box(t *testing.T, key []byte) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := box(t, bytes.Repeat([]byte{7}, secret.KeySize))
	sealed := b.SealString("p8-private-key", "push:1:apns")
	if strings.Contains(sealed, "p8-private-key") || !secret.IsSealed(sealed) {
		t.Fatalf("sealed value %q shows the plaintext or lacks the version", sealed)
	}
	if again := b.SealString("p8-private-key", "push:1:apns"); again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	got, err := b.OpenString(sealed, "push:1:apns")
	if err != nil || got != "p8-private-key" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, "push:2:apns"); err != secret.ErrNotSealed {
		t.Fatalf("opened under another row's associated data: %v", err)
	}
	other := box(t, bytes.Repeat([]byte{8}, secret.KeySize))
	if _, err := other.Open(sealed, "push:1:apns"); err != secret.ErrNotSealed {
		t.Fatalf("opened with another key: %v", err)
	}
	for _, bad := range []string{"", "plaintext", "v1:", "v1:!!!", "v1:AAAA"} {
		if _, err := b.Open(bad, "x"); err != secret.ErrNotSealed {
			t.Errorf("Open(%q) = %v, want ErrNotSealed", bad, err)
		}
	}
}

func TestNewBoxRefusesShortKeys(t *testing.T) {
	if _, err := secret.NewBox(make([]byte, 16)); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	for _, s := range []string{hexKey, "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=", "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s"} {
		k, err := secret.ParseKey(s)
		if err != nil || !bytes.Equal(k, bytes.Repeat([]byte{0xab}, 32)) {
			t.Errorf("ParseKey(%q) = %x, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "short", strings.Repeat("ab", 16)} {
		if _, err := secret.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, b := secret.Fingerprint([]byte("one")), secret.Fingerprint([]byte("two"))
	if len(a) != 16 || a == b || secret.Fingerprint([]byte("one")) != a {
		t.Fatalf("fingerprints %q %q", a, b)
	}
}

func TestServerKeyIsKeptOnce(t *testing.T) {
	q := db.New(pgtest.NewDB(t))
	first, err := secret.ServerKey(t.Context(), q, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := secret.ServerKey(t.Context(), q, "")
	if err != nil || !bytes.Equal(first, second) || len(first) != secret.KeySize {
		t.Fatalf("second start got another key: %x vs %x (%v)", first, second, err)
	}
	configured, err := secret.ServerKey(t.Context(), q, strings.Repeat("cd", 32))
	if err != nil || bytes.Equal(configured, first) {
		t.Fatalf("the configured key was not used: %x, %v", configured, err)
	}
}
