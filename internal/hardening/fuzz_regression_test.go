package hardening_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The defects TestSpecFuzz found, each kept as the request that broke.

// An appId (or X-App-Key) that no text column holds was looked up as an app before the text
// check ran: PostgreSQL refused the NUL or the invalid UTF-8 and the caller got a 500. It is
// the caller's bad input, told before authentication.
func TestUnstorableAppKeyIsRefusedBeforeTheLookup(t *testing.T) {
	s := testserver.Start(t, nil)
	tenant := newTenant(t, s, "unstorable")
	app := newApp(t, s, tenant, "Unstorable app")
	for _, appID := range []string{"a%00b", "%FF%FE%FD"} {
		for _, path := range []string{"/api/im/admin/groups", "/api/im/admin/settings", "/api/v1/rn/halt-policy"} {
			code, env, _ := s.Call(t, "GET", path+"?appId="+appID, tenant.main, "")
			if code != http.StatusBadRequest || !strings.Contains(env.Message, "appId") {
				t.Errorf("GET %s?appId=%s: %d %q, want 400 naming appId", path, appID, code, env.Message)
			}
		}
		code, _ := signedStatus(t, s, "POST", "/api/im/auth/login?appId="+appID+"&userId=bob", app.key, app.secret, "", time.Now(), "")
		if code != http.StatusBadRequest {
			t.Errorf("signed imLogin with appId=%s: %d, want 400", appID, code)
		}
	}
	req, _ := http.NewRequest("GET", s.URL+"/api/v1/updates/files/apk/abc", nil)
	req.Header.Set("Authorization", "Bearer "+tenant.main)
	req.Header.Set("X-App-Key", "\xff\xfe")
	if code, body := do(t, s, req); code != http.StatusBadRequest || !strings.Contains(body, "X-App-Key") {
		t.Errorf("X-App-Key of invalid UTF-8: %d %s, want 400 naming X-App-Key", code, body)
	}
}
