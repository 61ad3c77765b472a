package file_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime/multipart"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// world is a running server with two tenants: the owner of app ak_files (with a VIEWER
// sub-account and an IM user alice) and another tenant with its own app.
type world struct {
	*testserver.Server
	pool                 *pgxpool.Pool
	appKey, otherAppKey  string
	owner, viewer, other string // tenant tokens
	alice, otherAppUser  string // IM tokens
}

func newWorld(t testing.TB, env map[string]string) *world {
	t.Helper()
	s := testserver.Start(t, env)
	pool, err := pgxpool.New(context.Background(), s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &world{Server: s, pool: pool, appKey: "ak_files", otherAppKey: "ak_elsewhere"}
	tenant, app := w.tenant(t, "owner", w.appKey)
	w.owner = w.tenantToken(t, tenant, "owner@files.example", auth.RoleMain)
	w.viewer = w.tenantToken(t, tenant, "viewer@files.example", auth.RoleViewer)
	w.alice = w.imToken(t, app, w.appKey, "alice")
	otherTenant, otherApp := w.tenant(t, "other", w.otherAppKey)
	w.other = w.tenantToken(t, otherTenant, "owner@other.example", auth.RoleMain)
	w.otherAppUser = w.imToken(t, otherApp, w.otherAppKey, "mallory")
	return w
}

func (w *world) exec(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := w.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (w *world) tenant(t testing.TB, name, appKey string) (tenant, app int64) {
	tenant = w.exec(t, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, name)
	app = w.exec(t, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'secret', $2) RETURNING id`, tenant, appKey)
	w.exec(t, `WITH s AS (INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, x, 'key-' || x FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) AS x RETURNING 1)
		SELECT count(*) FROM s`, app)
	return tenant, app
}

func (w *world) tenantToken(t testing.TB, tenant int64, email, role string) string {
	id := w.exec(t, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role)
		VALUES ($1, $2, $2, 'x', $3) RETURNING id`, tenant, email, role)
	tok, _, err := w.Tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: tenant, Role: role}, strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (w *world) imToken(t testing.TB, app int64, appKey, user string) string {
	w.exec(t, `INSERT INTO im_accounts (app_id, user_id) VALUES ($1, $2) RETURNING 1`, app, user)
	tok, _, err := w.Tokens.Issue(auth.Claims{Typ: auth.KindIM, AppID: app, AppKeyClaim: appKey}, user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// multipartBody is a form with one file field.
func multipartBody(t testing.TB, field, name string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), &b
}

func (w *world) upload(t testing.TB, token, appKey, name string, data []byte) *api.UploadFileResponse {
	t.Helper()
	ct, body := multipartBody(t, "file", name, data)
	resp, err := w.Client.UploadFileWithBodyWithResponse(context.Background(), &api.UploadFileParams{AppId: appKey}, ct, body, testserver.Bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUploadAndDownload(t *testing.T) {
	w := newWorld(t, nil)
	data := bytes.Repeat([]byte("0123456789"), 1000)
	up := w.upload(t, w.alice, w.appKey, "notes.txt", data)
	if up.JSON200 == nil {
		t.Fatalf("upload: %d %s", up.StatusCode(), up.Body)
	}
	info := up.JSON200.Data
	hash := hexSum(data)
	if info.Hash != hash || info.Size != 10000 || info.Name != "notes.txt" || !strings.HasPrefix(info.ContentType, "text/plain") ||
		!strings.HasSuffix(info.Url, "/api/file/"+hash) {
		t.Errorf("upload answered %+v", info)
	}
	path := "/api/file/" + hash

	resp, body := w.Fetch(t, "GET", path, nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET: %d, %d bytes", resp.StatusCode, len(body))
	}
	for k, want := range map[string]string{
		"ETag": `"` + hash + `"`, "Content-Length": "10000", "Accept-Ranges": "bytes",
		"Cache-Control": "public, max-age=31536000, immutable", "X-Content-SHA256": hash,
		"Content-Type": info.ContentType, "Content-Disposition": `inline; filename="notes.txt"`,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("GET %s = %q, want %q", k, got, want)
		}
	}

	ranges := []struct {
		header, contentRange string
		status               int
		body                 []byte
	}{
		{"bytes=10-19", "bytes 10-19/10000", 206, data[10:20]},
		{"bytes=9990-", "bytes 9990-9999/10000", 206, data[9990:]},
		{"bytes=-5", "bytes 9995-9999/10000", 206, data[9995:]},
		{"bytes=9000-20000", "bytes 9000-9999/10000", 206, data[9000:]},
		{"bytes=0-1,5-6", "", 200, data}, // several ranges: the whole file
		{"bytes=20-10", "", 200, data},   // reversed: ignored
		{"items=0-10", "", 200, data},    // not bytes: ignored
		{"bytes=10000-", "bytes */10000", 416, nil},
		{"bytes=-0", "bytes */10000", 416, nil},
	}
	for _, r := range ranges {
		resp, body := w.Fetch(t, "GET", path, map[string]string{"Range": r.header})
		if resp.StatusCode != r.status || resp.Header.Get("Content-Range") != r.contentRange {
			t.Errorf("Range %s: %d %q, want %d %q", r.header, resp.StatusCode, resp.Header.Get("Content-Range"), r.status, r.contentRange)
			continue
		}
		if r.status == 416 {
			var env api.ErrorEnvelope
			if err := json.Unmarshal(body, &env); err != nil || env.Code != 416 || env.Status != "1" {
				t.Errorf("Range %s: 416 body %s", r.header, body)
			}
		} else if !bytes.Equal(body, r.body) {
			t.Errorf("Range %s: %d bytes, want %d", r.header, len(body), len(r.body))
		}
	}

	for _, inm := range []string{`"` + hash + `"`, `"other", "` + hash + `"`, "*", `W/"` + hash + `"`} {
		resp, body := w.Fetch(t, "GET", path, map[string]string{"If-None-Match": inm})
		if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("ETag") != `"`+hash+`"` {
			t.Errorf("If-None-Match %s: %d", inm, resp.StatusCode)
		}
	}
	if resp, _ := w.Fetch(t, "GET", path, map[string]string{"If-None-Match": `"stale"`}); resp.StatusCode != 200 {
		t.Errorf("a stale If-None-Match: %d", resp.StatusCode)
	}

	resp, body = w.Fetch(t, "HEAD", path, nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != "10000" || resp.Header.Get("ETag") != `"`+hash+`"` {
		t.Errorf("HEAD: %d, %d bytes, headers %v", resp.StatusCode, len(body), resp.Header)
	}
	if resp, _ := w.Fetch(t, "HEAD", path, map[string]string{"If-None-Match": `"` + hash + `"`}); resp.StatusCode != 304 {
		t.Errorf("HEAD with If-None-Match: %d", resp.StatusCode)
	}

	resp, _ = w.Fetch(t, "GET", path+"?name="+"%E6%8A%A5%E5%91%8A%22x%22.txt", nil)
	if got, want := resp.Header.Get("Content-Disposition"), `inline; filename="___x_.txt"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%22x%22.txt`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
}

func TestDownloadErrors(t *testing.T) {
	w := newWorld(t, nil)
	for path, want := range map[string]int{
		"/api/file/" + hexSum([]byte("nothing")):                404,
		"/api/file/NOT-A-HASH":                                  400,
		"/api/file/" + hexSum([]byte("nothing")) + "/thumbnail": 404,
	} {
		if resp, _ := w.Fetch(t, "GET", path, nil); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if resp, _ := w.Fetch(t, "HEAD", "/api/file/"+hexSum([]byte("nothing")), nil); resp.StatusCode != 404 {
		t.Errorf("HEAD of an unknown hash: %d", resp.StatusCode)
	}
}

func TestReuploadAndIdenticalBytesKeepOneBlob(t *testing.T) {
	w := newWorld(t, nil)
	data := []byte("the same bytes, twice")
	a := w.upload(t, w.alice, w.appKey, "a.txt", data)
	b := w.upload(t, w.owner, w.appKey, "b.txt", data)
	if a.JSON200 == nil || b.JSON200 == nil || a.JSON200.Data.Hash != b.JSON200.Data.Hash || b.JSON200.Data.Name != "b.txt" {
		t.Fatalf("uploads: %s / %s", a.Body, b.Body)
	}
	if n := countFiles(t, filepath.Join(w.DataDir, "blobs", "sha256")); n != 1 {
		t.Errorf("%d blobs, want 1", n)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadOverTheLimit(t *testing.T) {
	w := newWorld(t, map[string]string{"XUQM_FILE_MAX_BYTES": "64KiB"})
	resp := w.upload(t, w.alice, w.appKey, "big.bin", make([]byte, 64<<10+1))
	if resp.JSON413 == nil {
		t.Fatalf("over the limit: %d %s", resp.StatusCode(), resp.Body)
	}
	for _, dir := range []string{"sha256", "tmp"} {
		if n := countFiles(t, filepath.Join(w.DataDir, "blobs", dir)); n != 0 {
			t.Errorf("%d files left in blobs/%s", n, dir)
		}
	}
	if resp := w.upload(t, w.alice, w.appKey, "fits.bin", make([]byte, 64<<10)); resp.JSON200 == nil {
		t.Errorf("exactly the limit: %d %s", resp.StatusCode(), resp.Body)
	}
}

func TestUploadCallers(t *testing.T) {
	w := newWorld(t, nil)
	data := []byte("hello")
	tests := []struct {
		name, token, appKey string
		want                int
	}{
		{"IM user", w.alice, w.appKey, 200},
		{"owner", w.owner, w.appKey, 200},
		{"viewer", w.viewer, w.appKey, 403},
		{"another tenant", w.other, w.appKey, 403},
		{"IM user of another app", w.otherAppUser, w.appKey, 403},
		{"no token", "", w.appKey, 401},
	}
	for _, tt := range tests {
		resp := w.upload(t, tt.token, tt.appKey, "x.txt", data)
		if resp.StatusCode() != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, resp.StatusCode(), resp.Body, tt.want)
		}
	}

	ct, body := multipartBody(t, "attachment", "x.txt", data)
	resp, err := w.Client.UploadFileWithBodyWithResponse(context.Background(), &api.UploadFileParams{AppId: w.appKey}, ct, body, testserver.Bearer(w.alice))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON400 == nil || resp.JSON400.Data == nil || (*resp.JSON400.Data)[0].Field != "file" {
		t.Errorf("no file field: %d %s", resp.StatusCode(), resp.Body)
	}
	resp, err = w.Client.UploadFileWithBodyWithResponse(context.Background(), &api.UploadFileParams{AppId: w.appKey}, "text/plain", strings.NewReader("x"), testserver.Bearer(w.alice))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON400 == nil {
		t.Errorf("not multipart: %d %s", resp.StatusCode(), resp.Body)
	}

	if _, err := w.pool.Exec(context.Background(), `UPDATE app_services SET enabled = false WHERE service_type = 'FILE'`); err != nil {
		t.Fatal(err)
	}
	if resp := w.upload(t, w.alice, w.appKey, "x.txt", data); resp.StatusCode() != 403 {
		t.Errorf("FILE service off: %d %s", resp.StatusCode(), resp.Body)
	}
}
