package hardening_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/secret"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// AppSecrets and service keys are sealed in the database, shown in full only at creation and
// rotation, never logged, and still sign requests; plaintext rows of an older server are sealed
// at the next start.
func TestSecretsAtRest(t *testing.T) {
	s := testserver.Start(t, map[string]string{"XUQM_LOG_LEVEL": "debug"})
	tn := newTenant(t, s, "sealed")
	app := newApp(t, s, tn, "Sealed app")
	if app.secret == "" || len(app.keys) != 4 {
		t.Fatalf("creation answer lacks the secrets: %+v", app)
	}
	shown := []string{app.secret}
	for _, k := range app.keys {
		shown = append(shown, k)
	}

	imLogin := func(secret string) int {
		code, _ := signedStatus(t, s, "POST", "/api/im/auth/login?appId="+app.key+"&userId=u1", app.key, secret, "", time.Time{}, "")
		return code
	}
	imported := 0
	importAccount := func(key string) int {
		imported++
		body := `{"userId":"imported` + itoa(int64(imported)) + `"}`
		code, _ := signedStatus(t, s, "POST", "/api/im/accounts/import?appId="+app.key, app.key, key, body, time.Time{}, "")
		return code
	}
	if c := imLogin(app.secret); c != 200 {
		t.Errorf("IM login signed with the sealed AppSecret: %d", c)
	}
	if c := importAccount(app.keys["IM"]); c != 200 {
		t.Errorf("app-admin call signed with the sealed IM key: %d", c)
	}

	// Rotation: the new values work, the old ones stop.
	code, env, _ := s.Call(t, "POST", "/api/apps/"+itoa(app.id)+"/regenerate-secret", tn.main, "")
	if code != 200 {
		t.Fatalf("regenerate secret: %d %s", code, env.Message)
	}
	newSecret := field(t, env.Data, "appSecret")
	code, env, _ = s.Call(t, "POST", "/api/apps/"+itoa(app.id)+"/services/"+itoa(app.serviceID["IM"])+"/regenerate-key", tn.main, "")
	if code != 200 {
		t.Fatalf("regenerate key: %d %s", code, env.Message)
	}
	newKey := field(t, env.Data, "secretKey")
	shown = append(shown, newSecret, newKey)
	if c := imLogin(app.secret); c != 401 {
		t.Errorf("IM login with the replaced AppSecret: %d, want 401", c)
	}
	if c := imLogin(newSecret); c != 200 {
		t.Errorf("IM login with the new AppSecret: %d", c)
	}
	if c := importAccount(app.keys["IM"]); c != 401 {
		t.Errorf("import with the replaced IM key: %d, want 401", c)
	}
	if c := importAccount(newKey); c != 200 {
		t.Errorf("import with the new IM key: %d", c)
	}

	// An app stored by an older server, in plaintext, is sealed at the next start.
	exec(t, s, `INSERT INTO apps (tenant_id, app_key, app_secret, name) VALUES ($1, 'ak_plain_legacy01', 'legacy-plain-app-secret', 'Legacy')`, tn.id)
	legacyID := queryInt(t, s, `SELECT id FROM apps WHERE app_key = 'ak_plain_legacy01'`)
	exec(t, s, `INSERT INTO app_services (app_id, service_type, secret_key) VALUES ($1, 'IM', 'legacy-plain-im-key')`, legacyID)
	shown = append(shown, "legacy-plain-app-secret", "legacy-plain-im-key")
	s.Restart()
	if code, _ := signedStatus(t, s, "POST", "/api/im/auth/login?appId=ak_plain_legacy01&userId=u2", "ak_plain_legacy01", "legacy-plain-app-secret", "", time.Time{}, ""); code != 200 {
		t.Errorf("IM login of the sealed legacy app: %d", code)
	}
	if code, _ := signedStatus(t, s, "POST", "/api/im/accounts/import?appId=ak_plain_legacy01", "ak_plain_legacy01", "legacy-plain-im-key", `{"userId":"x"}`, time.Time{}, ""); code != 200 {
		t.Errorf("import of the sealed legacy app: %d", code)
	}

	// The database holds only sealed values.
	stored := append(queryStrings(t, s, `SELECT app_secret FROM apps`), queryStrings(t, s, `SELECT secret_key FROM app_services`)...)
	for _, v := range stored {
		if !secret.IsSealed(v) {
			t.Errorf("a secret is stored in plaintext: %.12s…", v)
		}
	}
	dump := strings.Join(stored, "\n")
	// Lists and details mask them.
	for _, path := range []string{"/api/apps", "/api/apps/" + itoa(app.id), "/api/apps/" + itoa(app.id) + "/services", "/api/apps/" + itoa(legacyID)} {
		code, env, _ := s.Call(t, "GET", path, tn.main, "")
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, env.Message)
		}
		for _, v := range shown {
			if strings.Contains(string(env.Data), v) {
				t.Errorf("GET %s shows a secret in full", path)
			}
		}
	}
	// Nor are they in the log (debug level) or, in plaintext, in the database.
	log := s.Log()
	if log == "" {
		t.Fatal("no log captured")
	}
	for _, v := range shown {
		if strings.Contains(log, v) || strings.Contains(log, url.QueryEscape(v)) {
			t.Errorf("the log holds the secret %.6s…", v)
		}
		if strings.Contains(dump, v) {
			t.Errorf("the database holds the secret %.6s… in plaintext", v)
		}
	}
}
