package update_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// world is a running server with the app ak_updates of one tenant (owner, VIEWER, the UPDATE
// key) and another tenant with its own app.
type world struct {
	*testserver.Server
	pool                         *pgxpool.Pool
	owner, viewer, other, opsTok string
	updateKey                    string
}

const appKey = "ak_updates"

func newWorld(t testing.TB, env map[string]string) *world {
	t.Helper()
	s := testserver.Start(t, env)
	pool, err := pgxpool.New(context.Background(), s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w := &world{Server: s, pool: pool, updateKey: "key-UPDATE"}
	tenant := w.tenant(t, "owner", appKey)
	w.owner = w.tenantToken(t, tenant, "owner@u.example", auth.RoleMain)
	w.viewer = w.tenantToken(t, tenant, "viewer@u.example", auth.RoleViewer)
	w.other = w.tenantToken(t, w.tenant(t, "other", "ak_elsewhere"), "owner@other.example", auth.RoleMain)
	op := w.id(t, `INSERT INTO operators (username, password_hash) VALUES ('support', 'x') RETURNING id`)
	if w.opsTok, _, err = w.Tokens.Issue(auth.Claims{Typ: auth.KindOps}, strconv.FormatInt(op, 10)); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) id(t testing.TB, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := w.pool.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (w *world) tenant(t testing.TB, name, key string) int64 {
	tenant := w.id(t, `INSERT INTO tenants (name, email) VALUES ($1, $1 || '@example.com') RETURNING id`, name)
	app := w.id(t, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, $2, 'secret', $2) RETURNING id`, tenant, key)
	w.id(t, `WITH s AS (INSERT INTO app_services (app_id, service_type, secret_key)
		SELECT $1, x, 'key-' || x FROM unnest(ARRAY['IM','PUSH','FILE','UPDATE']) AS x RETURNING 1) SELECT count(*) FROM s`, app)
	return tenant
}

func (w *world) tenantToken(t testing.TB, tenant int64, email, role string) string {
	id := w.id(t, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, $2, $2, 'x', $3) RETURNING id`, tenant, email, role)
	tok, _, err := w.Tokens.Issue(auth.Claims{Typ: auth.KindTenant, TenantID: tenant, Role: role}, strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// form is a multipart body of fields, then the file when data is not nil.
func form(t testing.TB, fields map[string]string, name string, data []byte) (string, *bytes.Buffer) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if data != nil {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	return mw.FormDataContentType(), &b
}

func (w *world) uploadVersion(t testing.TB, auth api.RequestEditorFn, fields map[string]string, apk []byte) *api.UploadAppVersionResponse {
	t.Helper()
	ct, body := form(t, fields, "app-release.apk", apk)
	resp, err := w.Client.UploadAppVersionWithBodyWithResponse(context.Background(), &api.UploadAppVersionParams{}, ct, body, auth)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (w *world) signed() api.RequestEditorFn {
	return func(ctx context.Context, r *http.Request) error {
		r.Header.Set("X-App-Key", appKey)
		return testserver.Signed(w.updateKey, time.Time{}, "")(ctx, r)
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func versionFields(code int, extra ...string) map[string]string {
	m := map[string]string{"appId": appKey, "platform": "ANDROID", "versionCode": strconv.Itoa(code), "versionName": "1." + strconv.Itoa(code), "changelog": "修复已知问题"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestNativeVersionLifecycle(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	apk := bytes.Repeat([]byte("PK\x03\x04 apk bytes "), 3000)

	up := w.uploadVersion(t, testserver.Bearer(w.owner), versionFields(2), apk)
	if up.JSON200 == nil {
		t.Fatalf("upload: %d %s", up.StatusCode(), up.Body)
	}
	v := up.JSON200.Data
	if v.Status != api.ReleaseStatus("DRAFT") || *v.Sha256 != sum(apk) || *v.Size != int64(len(apk)) || *v.DownloadUrl == "" {
		t.Errorf("uploaded %+v", v)
	}
	check := func(current int32) api.AppUpdateCheck {
		resp, err := w.Client.CheckAppUpdateWithResponse(ctx, &api.CheckAppUpdateParams{AppId: appKey, Platform: "ANDROID", CurrentVersionCode: current})
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("check: %v %s", err, resp.Body)
		}
		return resp.JSON200.Data
	}
	if c := check(1); c.HasUpdate {
		t.Errorf("a DRAFT was offered: %+v", c)
	}
	pub, err := w.Client.PublishAppVersionWithResponse(ctx, v.Id, &api.PublishAppVersionParams{}, api.ReleasePublish{}, testserver.Bearer(w.owner))
	if err != nil || pub.JSON200 == nil || pub.JSON200.Data.Status != "PUBLISHED" || pub.JSON200.Data.PublishedAt == nil {
		t.Fatalf("publish: %v %s", err, pub.Body)
	}
	c := check(1)
	if !c.HasUpdate || *c.VersionCode != 2 || *c.Sha256 != sum(apk) || *c.DownloadUrl != *v.DownloadUrl || *c.Changelog != "修复已知问题" {
		t.Errorf("check: %+v", c)
	}

	// The APK: byte-exact, resumable.
	path := "/api/v1/updates/files/apk/ak_updates-ANDROID-2.apk"
	resp, body := w.Fetch(t, "GET", path, nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, apk) || resp.Header.Get("X-Content-SHA256") != sum(apk) ||
		resp.Header.Get("ETag") != `"`+sum(apk)+`"` || resp.Header.Get("Content-Disposition") != `attachment; filename="ak_updates-ANDROID-2.apk"` {
		t.Errorf("APK: %d %d bytes %v", resp.StatusCode, len(body), resp.Header)
	}
	resp, body = w.Fetch(t, "GET", path, map[string]string{"Range": "bytes=1000-"})
	if resp.StatusCode != 206 || !bytes.Equal(body, apk[1000:]) || resp.Header.Get("Content-Range") != "bytes 1000-"+strconv.Itoa(len(apk)-1)+"/"+strconv.Itoa(len(apk)) {
		t.Errorf("resume: %d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	if resp, _ := w.Fetch(t, "GET", path, map[string]string{"Range": "bytes=999999-"}); resp.StatusCode != 416 {
		t.Errorf("past the end: %d", resp.StatusCode)
	}
	if resp, _ := w.Fetch(t, "GET", path, map[string]string{"If-None-Match": `"` + sum(apk) + `"`}); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	if resp, _ := w.Fetch(t, "GET", "/api/v1/updates/files/apk/ak_updates-ANDROID-3.apk", nil); resp.StatusCode != 404 {
		t.Errorf("no such APK: %d", resp.StatusCode)
	}

	// Withdraw; the version list shows it.
	wd, err := w.Client.WithdrawAppVersionWithResponse(ctx, v.Id, &api.WithdrawAppVersionParams{}, testserver.Bearer(w.owner))
	if err != nil || wd.JSON200 == nil || wd.JSON200.Data.Status != "WITHDRAWN" {
		t.Fatalf("withdraw: %v %s", err, wd.Body)
	}
	if c := check(1); c.HasUpdate {
		t.Errorf("withdrawn but offered: %+v", c)
	}
	list, err := w.Client.ListAppVersionsWithResponse(ctx, &api.ListAppVersionsParams{AppId: appKey}, testserver.Bearer(w.viewer))
	if err != nil || list.JSON200 == nil || list.JSON200.Data.TotalElements != 1 || list.JSON200.Data.Content[0].Status != "WITHDRAWN" {
		t.Errorf("list (a VIEWER may read): %v %s", err, list.Body)
	}
}

func TestUpdateManagementCallers(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	apk := []byte("apk")
	tests := []struct {
		name string
		auth api.RequestEditorFn
		code int
		want int
	}{
		{"owner", testserver.Bearer(w.owner), 2, 200},
		{"operator", testserver.Bearer(w.opsTok), 3, 200},
		{"app server signature", w.signed(), 4, 200},
		{"viewer", testserver.Bearer(w.viewer), 5, 403},
		{"another tenant", testserver.Bearer(w.other), 6, 403},
		{"nobody", func(context.Context, *http.Request) error { return nil }, 7, 401},
		{"a wrong signature", func(ctx context.Context, r *http.Request) error {
			r.Header.Set("X-App-Key", appKey)
			return testserver.Signed("not-the-key", time.Time{}, "")(ctx, r)
		}, 8, 401},
	}
	for _, tt := range tests {
		if resp := w.uploadVersion(t, tt.auth, versionFields(tt.code), apk); resp.StatusCode() != tt.want {
			t.Errorf("%s uploads: %d %s, want %d", tt.name, resp.StatusCode(), resp.Body, tt.want)
		}
	}
	// A signature for one app cannot upload to another named in the form.
	if resp := w.uploadVersion(t, w.signed(), map[string]string{"appId": "ak_elsewhere", "platform": "ANDROID", "versionCode": "9", "versionName": "9"}, apk); resp.StatusCode() != 403 {
		t.Errorf("signed for ak_updates, form ak_elsewhere: %d %s", resp.StatusCode(), resp.Body)
	}
	list, _ := w.Client.ListAppVersionsWithResponse(ctx, &api.ListAppVersionsParams{AppId: appKey}, testserver.Bearer(w.owner))
	id := list.JSON200.Data.Content[0].Id
	for name, a := range map[string]api.RequestEditorFn{"viewer": testserver.Bearer(w.viewer), "another tenant": testserver.Bearer(w.other)} {
		resp, err := w.Client.PublishAppVersionWithResponse(ctx, id, &api.PublishAppVersionParams{}, api.ReleasePublish{}, a)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"viewer": 403, "another tenant": 404}[name]; resp.StatusCode() != want {
			t.Errorf("%s publishes: %d, want %d", name, resp.StatusCode(), want)
		}
	}
	if resp, _ := w.Client.ListAppVersionsWithResponse(ctx, &api.ListAppVersionsParams{AppId: appKey}, testserver.Bearer(w.other)); resp.StatusCode() != 403 {
		t.Errorf("another tenant lists: %d", resp.StatusCode())
	}
	resp, err := w.Client.PublishAppVersionWithResponse(ctx, id, &api.PublishAppVersionParams{}, api.ReleasePublish{RolloutPercent: ptr(int32(20))}, w.signed())
	if err != nil || resp.JSON200 == nil || resp.JSON200.Data.RolloutPercent != 20 {
		t.Errorf("signed publish: %v %s", err, resp.Body)
	}
}

func ptr[T any](v T) *T { return &v }

func TestUpdateBadInput(t *testing.T) {
	w := newWorld(t, map[string]string{"XUQM_UPDATE_MAX_BYTES": "1KiB"})
	ctx := context.Background()
	owner := testserver.Bearer(w.owner)
	for _, tt := range []struct {
		name   string
		fields map[string]string
		file   []byte
		want   int
		field  string
	}{
		{"negative versionCode", versionFields(-1), []byte("x"), 400, "versionCode"},
		// Fields the HTTP layer cannot read as their type are refused before the service.
		{"text versionCode", versionFields(2, "versionCode", "seven"), []byte("x"), 400, "versionCode"},
		{"no versionCode", versionFields(2, "versionCode", ""), []byte("x"), 400, "versionCode"},
		{"fractional minSupportedVersionCode", versionFields(2, "minSupportedVersionCode", "1.5"), []byte("x"), 400, "minSupportedVersionCode"},
		{"text rolloutPercent", versionFields(2, "rolloutPercent", "half"), []byte("x"), 400, "rolloutPercent"},
		{"bad forceUpdate", versionFields(2, "forceUpdate", "maybe"), []byte("x"), 400, "forceUpdate"},
		{"missing file", versionFields(2), nil, 400, "file"},
		{"too large", versionFields(2), make([]byte, 1025), 413, ""},
	} {
		resp := w.uploadVersion(t, owner, tt.fields, tt.file)
		if resp.StatusCode() != tt.want || (tt.field != "" && (resp.JSON400 == nil || resp.JSON400.Data == nil || (*resp.JSON400.Data)[0].Field != tt.field)) {
			t.Errorf("%s: %d %s", tt.name, resp.StatusCode(), resp.Body)
		}
	}
	if resp := w.uploadVersion(t, owner, versionFields(2), []byte("ok")); resp.StatusCode() != 200 {
		t.Fatalf("%d %s", resp.StatusCode(), resp.Body)
	}
	if resp := w.uploadVersion(t, owner, versionFields(2), []byte("ok")); resp.StatusCode() != 409 {
		t.Errorf("duplicate versionCode: %d %s", resp.StatusCode(), resp.Body)
	}
	ct, body := form(t, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "home", "version": "1.0", "minAppVersion": "1.0.0"}, "b.js", []byte("js"))
	rn, err := w.Client.UploadRnBundleWithBodyWithResponse(ctx, &api.UploadRnBundleParams{}, ct, body, owner)
	if err != nil || rn.JSON400 == nil || (*rn.JSON400.Data)[0].Field != "version" {
		t.Errorf("not semver: %v %d %s", err, rn.StatusCode(), rn.Body)
	}
	for field, value := range map[string]string{"mandatory": "perhaps", "disabled": "no way", "rolloutPercent": "ten"} {
		fields := map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "home", "version": "1.0.0", "minAppVersion": "1.0.0", field: value}
		ct, body := form(t, fields, "b.js", []byte("js"))
		rn, err := w.Client.UploadRnBundleWithBodyWithResponse(ctx, &api.UploadRnBundleParams{}, ct, body, owner)
		if err != nil || rn.JSON400 == nil || rn.JSON400.Data == nil || (*rn.JSON400.Data)[0].Field != field || !strings.Contains(rn.JSON400.Message, field) {
			t.Errorf("%s=%q: %v %d %s, want 400 naming %s", field, value, err, rn.StatusCode(), rn.Body, field)
		}
	}
	for _, q := range []string{
		"/api/v1/updates/app/check?appId=ak_updates&platform=ANDROID&currentVersionCode=-1",
		"/api/v1/updates/app/check?appId=ak_updates&platform=WEB&currentVersionCode=1",
		"/api/v1/rn/update/check?appId=ak_updates&platform=ANDROID&moduleId=home&currentVersion=one",
	} {
		if resp, _ := w.Fetch(t, "GET", q, nil); resp.StatusCode != 400 {
			t.Errorf("%s: %d", q, resp.StatusCode)
		}
	}
	if resp, _ := w.Fetch(t, "GET", "/api/v1/updates/app/check?appId=ak_nobody&platform=ANDROID&currentVersionCode=1", nil); resp.StatusCode != 404 {
		t.Errorf("unknown app: %d", resp.StatusCode)
	}
}

func TestRnBundleOverHTTP(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	owner := testserver.Bearer(w.owner)
	upload := func(version string, data []byte) api.RnBundle {
		ct, body := form(t, map[string]string{"appId": appKey, "platform": "ANDROID", "moduleId": "chat-home", "version": version, "minAppVersion": "1.0.0", "description": "首页"}, "index.android.bundle", data)
		resp, err := w.Client.UploadRnBundleWithBodyWithResponse(ctx, &api.UploadRnBundleParams{}, ct, body, owner)
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("upload %s: %v %s", version, err, resp.Body)
		}
		pub, err := w.Client.PublishRnBundleWithResponse(ctx, resp.JSON200.Data.Id, &api.PublishRnBundleParams{}, api.ReleasePublish{}, owner)
		if err != nil || pub.JSON200 == nil {
			t.Fatalf("publish: %v %s", err, pub.Body)
		}
		return pub.JSON200.Data
	}
	v9 := bytes.Repeat([]byte("var a=9;"), 500)
	v10 := bytes.Repeat([]byte("var a=10;"), 500)
	upload("1.9.0", v9)
	b10 := upload("1.10.0", v10)

	resp, err := w.Client.CheckRnUpdateWithResponse(ctx, &api.CheckRnUpdateParams{AppId: appKey, Platform: "ANDROID", ModuleId: "chat-home", CurrentVersion: "1.9.0", AppVersion: ptr("1.2.0"), DeviceId: ptr("device-1")})
	if err != nil || resp.JSON200 == nil || !resp.JSON200.Data.HasUpdate || *resp.JSON200.Data.Version != "1.10.0" || *resp.JSON200.Data.DownloadUrl != b10.DownloadUrl {
		t.Fatalf("check: %v %s", err, resp.Body)
	}
	latest, body := w.Fetch(t, "GET", "/api/v1/rn/files/ak_updates/ANDROID/chat-home", nil)
	if latest.StatusCode != 200 || !bytes.Equal(body, v10) || latest.Header.Get("X-Bundle-Version") != "1.10.0" || latest.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("latest: %d %v", latest.StatusCode, latest.Header)
	}
	r, body := w.Fetch(t, "GET", "/api/v1/rn/files/ak_updates/ANDROID/chat-home?version=1.9.0", map[string]string{"Range": "bytes=-8"})
	if r.StatusCode != 206 || !bytes.Equal(body, v9[len(v9)-8:]) || r.Header.Get("X-Content-SHA256") != sum(v9) || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("1.9.0 ranged: %d %v", r.StatusCode, r.Header)
	}

	rb, err := w.Client.RollbackRnBundleWithResponse(ctx, &api.RollbackRnBundleParams{AppId: appKey}, api.RnRollback{Platform: "ANDROID", ModuleId: "chat-home"}, owner)
	if err != nil || rb.JSON200 == nil || rb.JSON200.Data.Version != "1.9.0" {
		t.Fatalf("rollback: %v %s", err, rb.Body)
	}
	resp, _ = w.Client.CheckRnUpdateWithResponse(ctx, &api.CheckRnUpdateParams{AppId: appKey, Platform: "ANDROID", ModuleId: "chat-home", CurrentVersion: "1.10.0"})
	if d := resp.JSON200.Data; !d.HasUpdate || !d.Rollback || !d.Mandatory || !d.CurrentWithdrawn || *d.Version != "1.9.0" {
		t.Errorf("after rollback: %s", resp.Body)
	}
	again, _ := w.Client.RollbackRnBundleWithResponse(ctx, &api.RollbackRnBundleParams{AppId: appKey}, api.RnRollback{Platform: "ANDROID", ModuleId: "chat-home"}, owner)
	if again.StatusCode() != 409 {
		t.Errorf("nothing left to roll back to: %d %s", again.StatusCode(), again.Body)
	}
	if _, err := w.pool.Exec(ctx, `UPDATE app_services SET enabled = false WHERE service_type = 'UPDATE'`); err != nil {
		t.Fatal(err)
	}
	w.Restart() // drops the server's caches: the public-route cache lives 2 s
	if r, _ := w.Fetch(t, "GET", "/api/v1/rn/files/ak_updates/ANDROID/chat-home", nil); r.StatusCode != 403 {
		t.Errorf("UPDATE off, download: %d", r.StatusCode)
	}
	if r, _ := w.Fetch(t, "GET", "/api/v1/rn/update/check?appId=ak_updates&platform=ANDROID&moduleId=chat-home&currentVersion=1.0.0", nil); r.StatusCode != 403 {
		t.Errorf("UPDATE off, check: %d", r.StatusCode)
	}
}

// An uploaded but unpublished APK downloads only with app-admin credentials: the owner's token
// and the app server's signature get it; no credentials, another tenant's owner and a VIEWER
// get 404, as for a version that does not exist.
func TestDraftDownloadsNeedAppAdmin(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	apk := []byte("PK\x03\x04 a draft")
	if up := w.uploadVersion(t, testserver.Bearer(w.owner), versionFields(7), apk); up.JSON200 == nil {
		t.Fatalf("upload: %d %s", up.StatusCode(), up.Body)
	}
	other := w.tenantToken(t, w.tenant(t, "Other", "ak_other_tenant"), "other@example.com", "MAIN")
	viewer := w.tenantToken(t, w.id(t, `SELECT tenant_id FROM apps WHERE app_key = $1`, appKey), "viewer@example.com", "VIEWER")
	for _, tc := range []struct {
		name string
		as   []api.RequestEditorFn
		want int
	}{
		{"nobody", nil, 404},
		{"another tenant", []api.RequestEditorFn{testserver.Bearer(other)}, 404},
		{"a VIEWER", []api.RequestEditorFn{testserver.Bearer(viewer)}, 404},
		{"the owner", []api.RequestEditorFn{testserver.Bearer(w.owner)}, 200},
		{"the app server", []api.RequestEditorFn{w.signed()}, 200},
	} {
		resp, err := w.Client.DownloadApk(ctx, "ak_updates-ANDROID-7.apk", &api.DownloadApkParams{}, tc.as...)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want == 200 && !bytes.Equal(body, apk)) {
			t.Errorf("the DRAFT for %s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
}
