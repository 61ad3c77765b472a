package hardening_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// PostgreSQL restarted under the running server (the test's private cluster, same port): the
// server answers again once the database is back, without a restart of its own.
func TestServerHealsAfterPostgresRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and restarts a private PostgreSQL cluster")
	}
	ctx := context.Background()
	dir := t.TempDir()
	// The cluster runs as the postgres user when the tests run as root: it must reach the dir.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "pg"), 0o711); err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.StartPrivateServer(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), filepath.Join(dir, "pg"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	s := testserver.Start(t, map[string]string{"DATABASE_URL": pg.URL("")})
	tenantID := queryInt(t, s, `INSERT INTO tenants (name, email) VALUES ('heal', 'heal@example.com') RETURNING id`)
	appID := queryInt(t, s, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_heal_0000001', 'heal-secret', 'Heal') RETURNING id`, tenantID)
	exec(t, s, `INSERT INTO app_services (app_id, service_type, secret_key) SELECT $1, x, 'k-' || x FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) x`, appID)
	exec(t, s, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, 'a'), ($1, 'b')`, appID)
	tok := mint(t, s, auth.Claims{Typ: auth.KindIM, AppID: appID, AppKeyClaim: "ak_heal_0000001", TenantID: tenantID}, "a")
	send := func(n int) int {
		req, _ := http.NewRequest("POST", s.URL+"/api/im/messages/send?appId=ak_heal_0000001",
			strings.NewReader(fmt.Sprintf(`{"toId":"b","chatType":"SINGLE","msgType":"TEXT","content":"heal %d","clientMsgId":"heal-%d"}`, n, n)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := send(0); c != 200 {
		t.Fatalf("send before the restart: %d", c)
	}

	var dataDir, binDir string
	conn := connect(t, s)
	if err := conn.QueryRow(ctx, `SHOW data_directory`).Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT setting FROM pg_config WHERE name = 'BINDIR'`).Scan(&binDir); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	args := []string{filepath.Join(binDir, "pg_ctl"), "restart", "-w", "-t", "60", "-m", "fast", "-D", dataDir,
		// The new postmaster writes to a file, not to the pipe this test reads.
		"-l", filepath.Join(filepath.Dir(dataDir), "restart.log")}
	if os.Geteuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	restart := osexec.Command(args[0], args[1:]...)
	restart.WaitDelay = 10 * time.Second
	if out, err := restart.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}

	healed := false
	for n, deadline := 1, time.Now().Add(30*time.Second); time.Now().Before(deadline); n++ {
		c := send(n)
		if c == 200 {
			healed = true
			break
		}
		if c != 500 && c != 503 && c != 0 {
			t.Errorf("send while the database restarts: %d, want 200 or a 5xx envelope", c)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !healed {
		t.Fatal("the server did not heal within 30 s of the PostgreSQL restart")
	}
	for n := 1000; n < 1010; n++ {
		if c := send(n); c != 200 {
			t.Errorf("send %d after healing: %d", n, c)
		}
	}
	resp, err := http.Get(s.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/healthz after healing: %v %v", err, resp)
	}
}
