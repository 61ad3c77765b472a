package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// world is a server, a tenant with an app (IM on) and its users alice and bob.
type world struct {
	s                      *testserver.Server
	key                    string
	tenant, other, alice   string
	appID, tenantID, accID int64
}

func newWorld(t *testing.T, env map[string]string) *world {
	t.Helper()
	s := testserver.Start(t, env)
	w := &world{s: s, key: "ak_webhooks"}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, strings.Split(s.DatabaseURL, "&pool_")[0])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var otherTenant, otherAcc int64
	for _, st := range []struct {
		sql  string
		args []any
		out  *int64
	}{
		{`INSERT INTO tenants (name, email) VALUES ('Hooks', 'hooks@example.com') RETURNING id`, nil, &w.tenantID},
		{`INSERT INTO tenants (name, email) VALUES ('Other', 'other@example.com') RETURNING id`, nil, &otherTenant},
	} {
		if err := conn.QueryRow(ctx, st.sql, st.args...).Scan(st.out); err != nil {
			t.Fatal(err)
		}
	}
	must := func(sql string, out *int64, args ...any) {
		if err := conn.QueryRow(ctx, sql, args...).Scan(out); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	must(`INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, 'm@example.com', 'M', 'x', 'MAIN') RETURNING id`, &w.accID, w.tenantID)
	must(`INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, 'o@example.com', 'O', 'x', 'MAIN') RETURNING id`, &otherAcc, otherTenant)
	must(`INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'secret', 'Hooks') RETURNING id`, &w.appID, w.tenantID, w.key)
	if _, err := conn.Exec(ctx, `INSERT INTO app_services (app_id, service_type, enabled, secret_key) VALUES ($1, 'IM', true, 'k')`, w.appID); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, 'alice'), ($1, 'bob')`, w.appID); err != nil {
		t.Fatal(err)
	}
	issue := func(c auth.Claims, sub string) string {
		tok, _, err := s.Tokens.Issue(c, sub)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	w.tenant = issue(auth.Claims{Typ: auth.KindTenant, TenantID: w.tenantID, Role: auth.RoleMain}, fmt.Sprint(w.accID))
	w.other = issue(auth.Claims{Typ: auth.KindTenant, TenantID: otherTenant, Role: auth.RoleMain}, fmt.Sprint(otherAcc))
	w.alice = issue(auth.Claims{Typ: auth.KindIM, AppID: w.appID, AppKeyClaim: w.key, TenantID: w.tenantID}, "alice")
	return w
}

func (w *world) call(t *testing.T, want int, method, path, token, body string) testserver.Envelope {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	code, env, _ := w.s.Call(t, method, path+sep+"appId="+w.key, token, body)
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, env.Message, want)
	}
	return env
}

type hook struct {
	ID     int64  `json:"id"`
	Secret string `json:"secret"`
	URL    string `json:"url"`
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// received is one request a receiver got, its signature checked.
type received struct {
	delivery, event string
	body            map[string]any
}

func signed(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestDeliveriesAreSignedRetriedAndSurviveARestart(t *testing.T) {
	w := newWorld(t, map[string]string{"XUQM_WEBHOOK_ALLOW_PRIVATE": "true", "XUQM_WEBHOOK_RETRY_BASE": "1s"})
	var mu sync.Mutex
	secret := ""
	got := make(chan received, 16)
	fails := 2
	rcv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		ts := r.Header.Get("X-Xuqm-Timestamp")
		if !hmac.Equal([]byte(r.Header.Get("X-Xuqm-Signature")), []byte(signed(secret, ts, body))) {
			t.Errorf("bad signature on %s", body)
			rw.WriteHeader(401)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		got <- received{delivery: r.Header.Get("X-Xuqm-Delivery"), event: r.Header.Get("X-Xuqm-Event"), body: m}
		if fails > 0 {
			fails--
			rw.WriteHeader(500)
			return
		}
		rw.WriteHeader(200)
	}))
	defer rcv.Close()

	created := decode[hook](t, w.call(t, 200, "POST", "/api/im/admin/webhooks", w.tenant, `{"url":"`+rcv.URL+`/hook","events":["message.sent"]}`).Data)
	if len(created.Secret) != 64 {
		t.Fatalf("the new webhook's secret: %q", created.Secret)
	}
	mu.Lock()
	secret = created.Secret
	mu.Unlock()
	list := decode[hookPage](t, w.call(t, 200, "GET", "/api/im/admin/webhooks", w.tenant, "").Data)
	if len(list.Content) != 1 || list.TotalElements != 1 || list.Size != 20 || list.Content[0].Secret != "****"+created.Secret[60:] {
		t.Fatalf("listed webhooks (secret masked): %+v", list)
	}
	// A page past the end is empty; a size over 100 is served as 100.
	if past := decode[hookPage](t, w.call(t, 200, "GET", "/api/im/admin/webhooks?page=1&size=1", w.tenant, "").Data); len(past.Content) != 0 || past.TotalElements != 1 || past.TotalPages != 1 {
		t.Fatalf("page 1 of size 1: %+v", past)
	}
	if big := decode[hookPage](t, w.call(t, 200, "GET", "/api/im/admin/webhooks?size=1000", w.tenant, "").Data); big.Size != 100 || len(big.Content) != 1 {
		t.Fatalf("size 1000: %+v", big)
	}

	w.call(t, 200, "POST", "/api/im/messages/send", w.alice, `{"toId":"bob","chatType":"SINGLE","msgType":"TEXT","content":"hello hook"}`)
	first := <-got
	if first.event != "message.sent" || first.body["id"] != first.delivery || first.body["appId"] != w.key ||
		first.body["data"].(map[string]any)["content"] != "hello hook" {
		t.Fatalf("first attempt: %+v", first)
	}
	// The server stops between the attempts; the queue is in PostgreSQL, so the retries go on after the restart.
	w.s.Restart()
	for i := 2; i <= 3; i++ {
		select {
		case r := <-got:
			if r.delivery != first.delivery {
				t.Fatalf("attempt %d has delivery id %s, want %s", i, r.delivery, first.delivery)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("attempt %d did not come", i)
		}
	}
	select {
	case r := <-got:
		t.Fatalf("a delivered event came again: %+v", r)
	case <-time.After(2 * time.Second):
	}

	type attempt struct {
		DeliveryID string `json:"deliveryId"`
		Attempt    int    `json:"attempt"`
		Success    bool   `json:"success"`
		HTTPStatus *int   `json:"httpStatus"`
	}
	log := decode[struct {
		Content       []attempt `json:"content"`
		TotalElements int       `json:"totalElements"`
	}](t, w.call(t, 200, "GET", fmt.Sprintf("/api/im/admin/webhooks/%d/deliveries", created.ID), w.tenant, "").Data)
	if log.TotalElements != 3 || !log.Content[0].Success || log.Content[0].Attempt != 3 || *log.Content[2].HTTPStatus != 500 {
		t.Fatalf("delivery log: %+v", log)
	}

	// Another tenant neither sees nor changes it; the log has every change.
	w.call(t, 403, "GET", "/api/im/admin/webhooks", w.other, "")
	w.call(t, 403, "PUT", fmt.Sprintf("/api/im/admin/webhooks/%d", created.ID), w.other, `{"enabled":false}`)
	w.call(t, 403, "DELETE", fmt.Sprintf("/api/im/admin/webhooks/%d", created.ID), w.alice, "")
	rotated := decode[hook](t, w.call(t, 200, "PUT", fmt.Sprintf("/api/im/admin/webhooks/%d", created.ID), w.tenant, `{"rotateSecret":true}`).Data)
	if len(rotated.Secret) != 64 || rotated.Secret == created.Secret {
		t.Fatalf("rotated secret: %q", rotated.Secret)
	}
	w.call(t, 409, "POST", "/api/im/admin/webhooks", w.tenant, `{"url":"`+rcv.URL+`/hook","events":["message.sent"]}`)
	// Moving another webhook onto its URL is refused as creating one there is.
	other := decode[hook](t, w.call(t, 200, "POST", "/api/im/admin/webhooks", w.tenant, `{"url":"`+rcv.URL+`/other","events":["message.sent"]}`).Data)
	w.call(t, 409, "PUT", fmt.Sprintf("/api/im/admin/webhooks/%d", other.ID), w.tenant, `{"url":"`+rcv.URL+`/hook"}`)
	w.call(t, 200, "DELETE", fmt.Sprintf("/api/im/admin/webhooks/%d", other.ID), w.tenant, "")
	w.call(t, 200, "DELETE", fmt.Sprintf("/api/im/admin/webhooks/%d", created.ID), w.tenant, "")
	w.call(t, 404, "DELETE", fmt.Sprintf("/api/im/admin/webhooks/%d", created.ID), w.tenant, "")
	logs := decode[struct {
		Content []struct{ Action string } `json:"content"`
	}](t, w.call(t, 200, "GET", "/api/im/admin/operation-logs", w.tenant, "").Data)
	var actions []string
	for _, l := range logs.Content {
		actions = append(actions, l.Action)
	}
	if strings.Join(actions, ",") != "webhook.delete,webhook.delete,webhook.create,webhook.update,webhook.create" {
		t.Fatalf("operation log: %v", actions)
	}
}

func TestBeforeSendHookDecides(t *testing.T) {
	w := newWorld(t, map[string]string{"XUQM_WEBHOOK_ALLOW_PRIVATE": "true"})
	rcv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var p struct {
			Event string `json:"event"`
			Data  struct {
				Content string `json:"content"`
			} `json:"data"`
		}
		_ = json.NewDecoder(r.Body).Decode(&p)
		switch {
		case p.Event != "message.before_send":
			rw.WriteHeader(200)
		case strings.Contains(p.Data.Content, "spam"):
			_, _ = io.WriteString(rw, `{"allow":false,"reason":"no spam here"}`)
		case strings.Contains(p.Data.Content, "slow"):
			time.Sleep(time.Second)
			_, _ = io.WriteString(rw, `{"allow":true}`)
		default:
			_, _ = io.WriteString(rw, `{"allow":true}`)
		}
	}))
	defer rcv.Close()
	h := decode[hook](t, w.call(t, 200, "POST", "/api/im/admin/webhooks", w.tenant,
		`{"url":"`+rcv.URL+`","events":["message.revoked"],"beforeSend":true,"beforeSendTimeoutMs":200,"onTimeout":"REJECT"}`).Data)
	send := func(want int, content string) string {
		return w.call(t, want, "POST", "/api/im/messages/send", w.alice, `{"toId":"bob","chatType":"SINGLE","msgType":"TEXT","content":"`+content+`"}`).Message
	}
	if msg := send(403, "buy spam"); !strings.Contains(msg, "no spam here") {
		t.Errorf("rejected message: %q", msg)
	}
	send(200, "hello")
	if f := wsSend(t, w.s.URL, w.alice, "ws spam"); f.Type != "error" || f.Data.Code != 403 || !strings.Contains(f.Data.Message, "no spam here") {
		t.Errorf("rejected WebSocket send: %+v", f)
	}
	if msg := send(403, "slow one"); !strings.Contains(msg, "in time") {
		t.Errorf("timed out, REJECT: %q", msg)
	}
	w.call(t, 200, "PUT", fmt.Sprintf("/api/im/admin/webhooks/%d", h.ID), w.tenant, `{"onTimeout":"PASS"}`)
	send(200, "slow two")
	hist := decode[struct {
		TotalElements int `json:"totalElements"`
	}](t, w.call(t, 200, "GET", "/api/im/messages/history/bob", w.alice, "").Data)
	if hist.TotalElements != 2 {
		t.Fatalf("stored messages: %d, want 2 (the rejected ones are not stored)", hist.TotalElements)
	}
}

// hookPage is a page of the webhooks list.
type hookPage struct {
	Content          []hook
	Size, TotalPages int32
	TotalElements    int64
}

// wsSend sends one TEXT to bob over a WebSocket `send` frame and returns the answer to it.
func wsSend(t *testing.T, base, token, content string) (f struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"data"`
}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws/im?token="+url.QueryEscape(token), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	frame := `{"type":"send","id":"s1","data":{"toId":"bob","chatType":"SINGLE","msgType":"TEXT","content":"` + content + `"}}`
	if err := ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		t.Fatal(err)
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("no answer to the send frame: %v", err)
		}
		f.ID = ""
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatalf("frame %s: %v", b, err)
		}
		if f.ID == "s1" {
			return f
		}
	}
}

func TestPrivateURLsAreRefused(t *testing.T) {
	w := newWorld(t, nil)
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/x", "http://[::1]/x", "http://localhost:9/x", "ftp://example.com/x"} {
		env := w.call(t, 400, "POST", "/api/im/admin/webhooks", w.tenant, `{"url":"`+u+`","events":["message.sent"]}`)
		if !strings.Contains(env.Message+string(env.Data), "url") {
			t.Errorf("%s: %q %s", u, env.Message, env.Data)
		}
	}
	if list := decode[hookPage](t, w.call(t, 200, "GET", "/api/im/admin/webhooks", w.tenant, "").Data); len(list.Content) != 0 || list.TotalElements != 0 {
		t.Fatalf("refused webhooks were stored: %+v", list)
	}
}
