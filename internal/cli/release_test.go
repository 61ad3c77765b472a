package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/cli"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// releaseWorld is a server with the app ak_release (UPDATE key "key-UPDATE") and its owner's token.
type releaseWorld struct {
	*testserver.Server
	pool  *pgxpool.Pool
	owner string
}

func newReleaseWorld(t *testing.T) *releaseWorld {
	s := testserver.Start(t, nil)
	pool, err := pgxpool.New(context.Background(), s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &releaseWorld{Server: s, pool: pool}
	tenant := w.id(t, `INSERT INTO tenants (name, email) VALUES ('rel', 'rel@example.com') RETURNING id`)
	app := w.id(t, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_release', 'secret', 'release') RETURNING id`, tenant)
	w.id(t, `WITH s AS (INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, x, 'key-' || x FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) AS x RETURNING 1) SELECT count(*) FROM s`, app)
	account := w.id(t, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, 'owner@rel.example', 'owner', 'x', $2) RETURNING id`, tenant, auth.RoleMain)
	if w.owner, _, err = w.Tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: tenant, Role: auth.RoleMain}, strconv.FormatInt(account, 10)); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *releaseWorld) id(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := w.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (w *releaseWorld) release(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cli.Run(context.Background(), append([]string{"release"}, args...), cli.Environment{
		Getenv: func(k string) string { return map[string]string{"XUQM_SERVER": w.URL, "XUQM_APP_KEY": "ak_release"}[k] },
		Stdout: &out, Stderr: &errOut,
	})
	return out.String(), errOut.String(), err
}

func writeFile(t *testing.T, name string, size int) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, bytes.Repeat([]byte("PK\x03\x04 release bytes "), size/15+1)[:size], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReleaseUploadsSignedAndPublishesWithRollout(t *testing.T) {
	w := newReleaseWorld(t)
	apk := writeFile(t, "app-release.apk", 300_000)
	out, progress, err := w.release(t, "apk", "--key", "key-UPDATE", "--version-code", "7", "--version-name", "1.7.0",
		"--changelog", "修复已知问题", apk, "--publish", "--rollout", "20")
	if err != nil {
		t.Fatalf("release: %v\n%s", err, progress)
	}
	if !strings.Contains(out, "uploaded ANDROID version 7 (1.7.0) of ak_release") || !strings.Contains(out, "to 20% of devices") {
		t.Errorf("output:\n%s", out)
	}
	// Not a terminal: plain lines, ending at 100%.
	if !strings.Contains(progress, "app-release.apk: 100% (") || strings.Contains(progress, "\r") {
		t.Errorf("progress lines:\n%s", progress)
	}
	var status string
	var rollout, size int64
	if err := w.pool.QueryRow(context.Background(), `SELECT status, rollout_percent, size FROM app_versions WHERE version_code = 7`).Scan(&status, &rollout, &size); err != nil {
		t.Fatal(err)
	}
	if status != "PUBLISHED" || rollout != 20 || size != 300_000 {
		t.Errorf("stored: %s %d%% %d bytes", status, rollout, size)
	}

	// The same version again is a conflict, said plainly.
	_, _, err = w.release(t, "apk", "--key", "key-UPDATE", "--version-code", "7", "--version-name", "1.7.0", apk)
	if err == nil || !strings.Contains(err.Error(), "already has version 7 for ANDROID") || !strings.Contains(err.Error(), "409") {
		t.Errorf("duplicate: %v", err)
	}
	// A wrong key names the key to use, and nothing is kept.
	_, _, err = w.release(t, "apk", "--key", "not-the-key", "--version-code", "8", "--version-name", "1.8.0", apk)
	if err == nil || !strings.Contains(err.Error(), "UPDATE service key") || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
	var n int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM app_versions WHERE version_code = 8`).Scan(&n); err != nil || n != 0 {
		t.Errorf("version 8 kept after a refused upload: %d %v", n, err)
	}
}

func TestReleaseRNBundleWithTenantToken(t *testing.T) {
	w := newReleaseWorld(t)
	bundle := writeFile(t, "index.android.bundle", 50_000)
	out, bar, err := w.release(t, "rn", "--token", w.owner, "--module", "chat-home", "--version", "1.0.1", "--min-app-version", "1.0.0", "--progress", "bar", bundle)
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	// The bar (what a terminal gets) redraws its line and ends full.
	if !strings.Contains(bar, "uploading index.android.bundle") || !strings.Contains(bar, "100%") || !strings.Contains(bar, "\r") {
		t.Errorf("progress bar output: %q", bar)
	}
	if !strings.Contains(out, "uploaded ANDROID bundle chat-home 1.0.1 of ak_release") || !strings.Contains(out, "is a DRAFT") {
		t.Errorf("output:\n%s", out)
	}
	_, _, err = w.release(t, "rn", "--token", w.owner, "--module", "chat-home", "--version", "1.0.1", "--min-app-version", "1.0.0", bundle)
	if err == nil || !strings.Contains(err.Error(), "already has version chat-home 1.0.1") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestReleaseRefusesIncompleteCommandLines(t *testing.T) {
	w := &releaseWorld{Server: &testserver.Server{URL: "http://127.0.0.1:1"}}
	apk := writeFile(t, "a.apk", 10)
	for name, args := range map[string][]string{
		"no kind":          {},
		"no version":       {"apk", "--key", "k", apk},
		"no credentials":   {"apk", "--version-code", "1", "--version-name", "1", apk},
		"both credentials": {"apk", "--key", "k", "--token", "t", "--version-code", "1", "--version-name", "1", apk},
		"bad rollout":      {"apk", "--key", "k", "--version-code", "1", "--version-name", "1", "--rollout", "120", apk},
		"no file":          {"rn", "--key", "k", "--module", "m", "--version", "1", "--min-app-version", "1"},
	} {
		if _, _, err := w.release(t, args...); err == nil || !strings.Contains(err.Error(), "unknown command") && !strings.Contains(err.Error(), "release") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := w.release(t, "apk", "--key", "k", "--version-code", "1", "--version-name", "1", apk); err == nil || !strings.Contains(err.Error(), "could not be reached") {
		t.Errorf("unreachable server: %v", err)
	}
}
