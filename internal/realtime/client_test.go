package realtime_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v4"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// frameSchemas are asyncapi.yaml's payload schemas, loaded with kin-openapi: they are
// OpenAPI 3.0 schemas that $ref openapi.yaml and paths/im.yaml.
var frameSchemas = sync.OnceValues(func() (openapi3.Schemas, error) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "openapi")
	raw, err := os.ReadFile(filepath.Join(dir, "asyncapi.yaml"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	synthetic, err := json.Marshal(map[string]any{
		"openapi": "3.0.3", "info": map[string]any{"title": "frames", "version": "1"}, "paths": map[string]any{},
		"components": map[string]any{"schemas": doc.Components.Schemas},
	})
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	spec, err := loader.LoadFromDataWithPath(synthetic, &url.URL{Path: filepath.Join(dir, "asyncapi-frames.json")})
	if err != nil {
		return nil, err
	}
	return spec.Components.Schemas, nil
})

// serverFrameSchema names the schema of each frame the server sends, by type.
var serverFrameSchema = map[string]string{
	"message": "MessageFrame", "message.edited": "MessageEditedFrame", "message.revoked": "MessageRevokedFrame",
	"read": "ReadFrame", "conversation.updated": "ConversationUpdatedFrame", "friend.request": "FriendRequestFrame", "friend.deleted": "FriendDeletedFrame",
	"group.event": "GroupEventFrame", "kicked": "KickedFrame", "pong": "PongFrame", "synced": "SyncedFrame",
	"ack": "AckFrame", "error": "ErrorFrame",
}

// groupFrameSchema names the schema of each group event frame (one with groupSeq), by type.
var groupFrameSchema = map[string]string{
	"message": "GroupMessageFrame", "message.edited": "GroupMessageEditedFrame", "message.revoked": "GroupMessageRevokedFrame",
	"group.event": "GroupNoticeFrame",
}

// checkServerFrame fails the test when a frame from the server is outside asyncapi.yaml.
func checkServerFrame(t testing.TB, b []byte) {
	t.Helper()
	schemas, err := frameSchemas()
	if err != nil {
		t.Fatalf("load asyncapi schemas: %v", err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("server frame is not JSON: %s", b)
		return
	}
	typ, _ := v["type"].(string)
	name, ok := serverFrameSchema[typ]
	if _, group := v["groupSeq"]; group {
		name, ok = groupFrameSchema[typ]
	}
	if !ok {
		t.Errorf("server frame of unknown type: %s", b)
		return
	}
	if err := schemas[name].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("server frame outside %s: %v\n%s", name, err, b)
	}
}

// frame is a server frame as tests read it.
type frame struct {
	Type     string          `json:"type"`
	Seq      int64           `json:"seq"`
	GroupID  string          `json:"groupId"`
	GroupSeq int64           `json:"groupSeq"`
	ID       string          `json:"id"`
	AfterSeq int64           `json:"afterSeq"`
	Data     json.RawMessage `json:"data"`
	raw      []byte
}

// client is a test's WebSocket: every frame it reads is checked against the schemas.
type client struct {
	t      testing.TB
	ws     *websocket.Conn
	frames chan frame
	closed chan error
	// backlog holds the frames nextOf passed over, for later calls.
	backlog []frame
}

func dial(t testing.TB, s *testserver.Server, token string) *client {
	t.Helper()
	return dialURL(t, "ws"+strings.TrimPrefix(s.URL, "http")+"/ws/im?token="+url.QueryEscape(token), nil)
}

// dialURL opens the WebSocket at u; the client reads and checks every frame.
func dialURL(t testing.TB, u string, opts *websocket.DialOptions) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws, frames: make(chan frame, 4096), closed: make(chan error, 1)}
	go func() {
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				c.closed <- err
				close(c.frames)
				return
			}
			checkServerFrame(t, b)
			var f frame
			_ = json.Unmarshal(b, &f)
			f.raw = b
			c.frames <- f
		}
	}()
	t.Cleanup(func() { _ = ws.CloseNow() })
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next is the next frame (passed-over ones first), failing after a timeout.
func (c *client) next() frame {
	c.t.Helper()
	if len(c.backlog) > 0 {
		f := c.backlog[0]
		c.backlog = c.backlog[1:]
		return f
	}
	return c.read()
}

func (c *client) read() frame {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatalf("connection closed: %v", <-c.closed)
		}
		return f
	case <-time.After(15 * time.Second):
		c.t.Fatal("no frame within 15 s")
	}
	return frame{}
}

// nextOf is the next frame of type typ; it keeps the others for next and nextOf.
func (c *client) nextOf(typ string) frame {
	c.t.Helper()
	for i, f := range c.backlog {
		if f.Type == typ {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return f
		}
	}
	for {
		f := c.read()
		if f.Type == typ {
			return f
		}
		c.backlog = append(c.backlog, f)
	}
}

// quiet holds when no frame comes for d.
func (c *client) quiet(d time.Duration) bool {
	select {
	case f := <-c.frames:
		c.t.Logf("unexpected frame: %s", f.raw)
		return false
	case <-time.After(d):
		return true
	}
}

// app is an app with the IM service on and accounts for users.
type app struct {
	id, tenant int64
	key        string
	s          *testserver.Server
}

// connectDB is a connection of its own to the server's database, for what a test sets up
// there.
func connectDB(t testing.TB, s *testserver.Server) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), strings.Split(s.DatabaseURL, "&pool_")[0])
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func newApp(t testing.TB, s *testserver.Server, key string, users ...string) *app {
	t.Helper()
	ctx := context.Background()
	conn := connectDB(t, s)
	defer conn.Close(ctx)
	a := &app{key: key, s: s}
	if err := conn.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, key).Scan(&a.tenant); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'secret', $2) RETURNING id`, a.tenant, key).Scan(&a.id); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO app_services (app_id, service_type, enabled, secret_key) VALUES ($1, 'IM', true, 'k')`, a.id); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO im_accounts (app_id, user_id) SELECT $1, unnest($2::text[])`, a.id, users); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *app) token(t testing.TB, user string) string {
	t.Helper()
	tok, _, err := a.s.Tokens.Issue(auth.Claims{Typ: auth.KindIM, AppID: a.id, AppKeyClaim: a.key, TenantID: a.tenant}, user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
