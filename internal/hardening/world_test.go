package hardening_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// victims is a platform with two tenants: the first (the victim) has two apps, its first app
// holds one of every kind of resource; the second tenant has an app of its own. Attackers are
// the second tenant, the first tenant's second app, IM users of those apps and the first
// tenant's VIEWER.
type victims struct {
	s            *testserver.Server
	t1, t2       *tenantFix
	a1, a1b, a2  *appFix
	alice, bob   string // IM tokens of a1
	mallory, eve string // IM tokens of a2 and a1b
	ops, demo    string
	groupID      string
	messageID    int64
	groupMsgID   int64
	friendReq    int64
	joinReq      int64
	webhookID    int64
	versionID    int64
	bundleID     int64
	fileHash     string
}

func newVictims(t *testing.T) *victims {
	t.Helper()
	s := testserver.Start(t, nil)
	v := &victims{s: s}
	v.t1, v.t2 = newTenant(t, s, "victim"), newTenant(t, s, "attacker")
	v.a1, v.a1b, v.a2 = newApp(t, s, v.t1, "Victim app"), newApp(t, s, v.t1, "Victim second app"), newApp(t, s, v.t2, "Attacker app")
	v.alice, v.bob = v.a1.imToken(t, s, "alice"), v.a1.imToken(t, s, "bob")
	v.a1.imToken(t, s, "carol")
	v.mallory, v.eve = v.a2.imToken(t, s, "mallory"), v.a1b.imToken(t, s, "eve")
	opsID := queryInt(t, s, `INSERT INTO operators (username, password_hash) VALUES ('hardening-op', 'x') RETURNING id`)
	v.ops = mint(t, s, opsClaims(), opsID)
	v.demo = mint(t, s, auth.Claims{Typ: auth.KindDemo}, "demo_alice")

	q := "?appId=" + v.a1.key
	v.groupID = field(t, v.ok(t, "POST", "/api/im/groups"+q, v.alice, `{"name":"Victims","memberIds":["bob"]}`), "groupId")
	v.messageID = idOf(t, v.ok(t, "POST", "/api/im/messages/send"+q, v.alice, `{"toId":"bob","chatType":"SINGLE","msgType":"TEXT","content":"secret one-to-one"}`))
	v.groupMsgID = idOf(t, v.ok(t, "POST", "/api/im/messages/send"+q, v.alice, fmt.Sprintf(`{"toId":%q,"chatType":"GROUP","msgType":"TEXT","content":"secret group"}`, v.groupID)))
	v.friendReq = v.maybe(t, "POST", "/api/im/friend-requests"+q+"&toUserId=carol", v.alice, "")
	v.joinReq = v.maybe(t, "POST", "/api/im/groups/"+v.groupID+"/join-requests"+q, v.a1.imToken(t, s, "carol"), "")
	v.webhookID = v.maybe(t, "POST", "/api/im/admin/webhooks"+q, v.t1.main, `{"url":"https://hooks.example.com/victim","events":["message.sent"]}`)
	v.ok(t, "POST", "/api/push/register"+q, v.alice, `{"deviceToken":"victim-device-token-0001","platform":"ANDROID","vendor":"FCM"}`)
	v.versionID = v.upload(t, "/api/v1/updates/app/upload", map[string]string{"appId": v.a1.key, "platform": "ANDROID", "versionCode": "7", "versionName": "1.7"}, "app.apk")
	v.bundleID = v.upload(t, "/api/v1/rn/upload", map[string]string{"appId": v.a1.key, "platform": "ANDROID", "moduleId": "main", "version": "1.0.0", "minAppVersion": "1.0.0"}, "main.bundle")
	v.fileHash = field(t, v.uploadFile(t), "hash")
	return v
}

// ok is a call that must succeed; it returns the envelope's data.
func (v *victims) ok(t *testing.T, method, path, token, body string) json.RawMessage {
	t.Helper()
	code, env, _ := v.s.Call(t, method, path, token, body)
	if code != 200 {
		t.Fatalf("%s %s: %d %s", method, path, code, env.Message)
	}
	return env.Data
}

// maybe makes a resource of a route that may not be built yet (501) and returns its id, or an unknown one:
// the attacks then meet an unknown id, which must be refused all the same.
func (v *victims) maybe(t *testing.T, method, path, token, body string) int64 {
	t.Helper()
	code, env, _ := v.s.Call(t, method, path, token, body)
	if code != 200 {
		t.Logf("%s %s: %d %s: its attacks meet an unknown id", method, path, code, env.Message)
		return 1 << 40
	}
	return idOf(t, env.Data)
}

func (v *victims) upload(t *testing.T, path string, fields map[string]string, name string) int64 {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, val := range fields {
		mw.WriteField(k, val)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(bytes.Repeat([]byte("PK\x03\x04 victim bytes "), 100))
	mw.Close()
	req, _ := http.NewRequest("POST", v.s.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+v.t1.main)
	code, body := do(t, v.s, req)
	if code != 200 {
		t.Fatalf("upload %s: %d %s", path, code, body)
	}
	var env testserver.Envelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return idOf(t, env.Data)
}

func (v *victims) uploadFile(t *testing.T) json.RawMessage {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "victim.txt")
	fw.Write([]byte("the victim's file"))
	mw.Close()
	req, _ := http.NewRequest("POST", v.s.URL+"/api/file/upload?appId="+v.a1.key, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+v.alice)
	code, body := do(t, v.s, req)
	if code != 200 {
		t.Fatalf("upload file: %d %s", code, body)
	}
	var env testserver.Envelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return env.Data
}

func idOf(t *testing.T, data json.RawMessage) int64 {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["id"]; !ok {
		m["id"] = m["requestId"] // friend and join requests
	}
	switch id := m["id"].(type) {
	case float64:
		return int64(id)
	case string:
		n, err := strconv.ParseInt(id, 10, 64)
		if err == nil {
			return n
		}
	}
	t.Fatalf("no numeric id in %s", data)
	return 0
}
