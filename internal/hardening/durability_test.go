package hardening_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// child is the server binary running as a child process, so that it can be SIGKILLed.
type child struct {
	t    *testing.T
	bin  string
	env  []string
	addr string
	cmd  *osexec.Cmd
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xuqm")
	out, err := osexec.Command("go", "build", "-o", bin, "github.com/xuqmgroup/xuqm/cmd/xuqm").CombinedOutput()
	if err != nil {
		t.Fatalf("build ./cmd/xuqm: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (c *child) start() {
	c.t.Helper()
	c.cmd = osexec.Command(c.bin, "serve")
	c.cmd.Env = append(os.Environ(), c.env...)
	c.cmd.Stdout, c.cmd.Stderr = nil, nil
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + c.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = c.cmd.Process.Kill()
	c.t.Fatal("the server did not answer /healthz within 60 s")
}

func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	_ = c.cmd.Wait() // "signal: killed", which is the point
}

// A server SIGKILLed under load loses no acknowledged message and stores none twice: after a
// restart every acknowledged clientMsgId is stored exactly once, retries of the sends cut off
// by the kill do not duplicate, and a reconnecting WebSocket client syncs them all.
func TestSIGKILLUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	dbURL := pgtest.NewDBURL(t)
	addr := freeAddr(t)
	c := &child{t: t, bin: buildServer(t), addr: addr, env: []string{
		"DATABASE_URL=" + dbURL, "XUQM_ADDR=" + addr, "XUQM_DATA_DIR=" + t.TempDir(), "XUQM_CAPTCHA=off",
		"XUQM_JWT_SECRET=" + testserver.SigningKey, "XUQM_PUBLIC_RATE_LIMIT=0", "XUQM_LOG_LEVEL=error", "XUQM_NATS_URL=",
	}}
	c.start()
	t.Cleanup(c.kill)
	s := &testserver.Server{URL: "http://" + addr, DatabaseURL: dbURL, HTTP: http.DefaultClient}
	tenantID := queryInt(t, s, `INSERT INTO tenants (name, email) VALUES ('durable', 'durable@example.com') RETURNING id`)
	appID := queryInt(t, s, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_durable_00001', 'durable-secret', 'Durable') RETURNING id`, tenantID)
	exec(t, s, `INSERT INTO app_services (app_id, service_type, secret_key) SELECT $1, x, 'k-' || x FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) x`, appID)
	const senders = 8
	tokens := auth.NewTokens([]byte(testserver.SigningKey), time.Hour)
	token := func(user string) string {
		exec(t, s, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, appID, user)
		tok, _, err := tokens.Issue(auth.Claims{Typ: auth.KindIM, AppID: appID, AppKeyClaim: "ak_durable_00001", TenantID: tenantID}, user)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	receiver := token("receiver")
	sendURL := "http://" + addr + "/api/im/messages/send?appId=ak_durable_00001"
	send := func(client *http.Client, tok, clientMsgID string) (int64, error) {
		body := fmt.Sprintf(`{"toId":"receiver","chatType":"SINGLE","msgType":"TEXT","content":"durable %s","clientMsgId":%q}`, clientMsgID, clientMsgID)
		req, _ := http.NewRequest("POST", sendURL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var env struct {
			Data struct {
				ID json.Number `json:"id"`
			} `json:"data"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&env) != nil {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return env.Data.ID.Int64()
	}

	var mu sync.Mutex
	acked := map[string]int64{}   // clientMsgId -> message id
	cutOff := map[string]string{} // clientMsgId -> sender token, sends that got no answer
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range senders {
		tok := token(fmt.Sprintf("sender%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("s%d-%d", i, n)
				msgID, err := send(client, tok, id)
				mu.Lock()
				if err == nil {
					acked[id] = msgID
				} else {
					cutOff[id] = tok
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	// Kill once a good number of sends went through.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
	}
	c.kill()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no send was acknowledged before the kill")
	}
	c.start()

	// Retrying the cut-off sends stores each at most once.
	client := &http.Client{Timeout: 10 * time.Second}
	for id, tok := range cutOff {
		if _, err := send(client, tok, id); err != nil {
			t.Errorf("retry of %s after the restart: %v", id, err)
		}
		if _, err := send(client, tok, id); err != nil {
			t.Errorf("second retry of %s: %v", id, err)
		}
	}
	counts := map[string]int64{}
	conn := connect(t, s)
	rows, err := conn.Query(context.Background(), `SELECT client_msg_id, count(*) FROM im_messages WHERE app_id = $1 AND client_msg_id IS NOT NULL GROUP BY 1`, appID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		counts[id] = n
	}
	rows.Close()
	conn.Close(context.Background())
	for id := range acked {
		if counts[id] != 1 {
			t.Errorf("acknowledged %s is stored %d times", id, counts[id])
		}
	}
	for id := range cutOff {
		if counts[id] != 1 {
			t.Errorf("cut-off %s, retried twice, is stored %d times", id, counts[id])
		}
	}

	// The receiver reconnects and syncs everything acknowledged.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws/im?token="+url.QueryEscape(receiver), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(8 << 20)
	seen := map[int64]bool{}
	after := int64(0)
	for round := 0; round < 100; round++ {
		if err := ws.Write(ctx, websocket.MessageText, fmt.Appendf(nil, `{"type":"sync","afterSeq":%d}`, after)); err != nil {
			t.Fatal(err)
		}
		var latest int64
		for {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var f struct {
				Type string `json:"type"`
				Seq  int64  `json:"seq"`
				Data struct {
					ID json.Number `json:"id"`
				} `json:"data"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatalf("frame %s: %v", b, err)
			}
			if f.Type == "message" {
				id, _ := f.Data.ID.Int64()
				seen[id] = true
				after = max(after, f.Seq)
			}
			if f.Type == "synced" {
				latest = f.Seq
				break
			}
		}
		if after >= latest {
			break
		}
	}
	missing := 0
	for _, id := range acked {
		if !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("the reconnecting receiver synced %d messages; %d acknowledged ones are missing", len(seen), missing)
	}
	t.Logf("SIGKILL under %d senders: %d acknowledged, %d cut off and retried, all stored once; %d synced", senders, len(acked), len(cutOff), len(seen))
}
