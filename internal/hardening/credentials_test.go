package hardening_test

import (
	"encoding/base64"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/password"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// Forged, expired and misplaced credentials, and credentials whose holder is gone, are all
// refused with 401 or 403; so is a signature replayed or out of its window on every signed
// route.
func TestCredentialsAttacks(t *testing.T) {
	v := newVictims(t)
	s := v.s
	attacks := 0
	refused := func(what string, code int, body string) {
		t.Helper()
		attacks++
		if code != 401 && code != 403 {
			t.Errorf("%s: %d, want 401/403: %.200s", what, code, body)
		}
	}
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return do(t, s, req)
	}
	me := "/api/apps"
	now := time.Now()
	claims := func(iat, exp time.Time) auth.Claims {
		return auth.Claims{Typ: auth.KindTenant, TenantID: v.t1.id, Role: "MAIN", RegisteredClaims: jwt.RegisteredClaims{
			Subject: itoa(v.t1.mainID), IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(exp), ID: "x"}}
	}
	sign := func(m jwt.SigningMethod, c auth.Claims, key any) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	key := []byte(testserver.SigningKey)
	if code, body := get(me, sign(jwt.SigningMethodHS256, claims(now, now.Add(time.Hour)), key)); code != 200 {
		t.Fatalf("a well-made token is refused (%d %s): the attacks below prove nothing", code, body)
	}
	forged := map[string]string{
		"expired":               sign(jwt.SigningMethodHS256, claims(now.Add(-2*time.Hour), now.Add(-time.Hour)), key),
		"not yet valid":         sign(jwt.SigningMethodHS256, claims(now.Add(time.Hour), now.Add(2*time.Hour)), key),
		"wrong key":             sign(jwt.SigningMethodHS256, claims(now, now.Add(time.Hour)), []byte("another-key-0123456789abcdef-0123456789")),
		"alg none":              sign(jwt.SigningMethodNone, claims(now, now.Add(time.Hour)), jwt.UnsafeAllowNoneSignatureType),
		"HS512 on the same key": sign(jwt.SigningMethodHS512, claims(now, now.Add(time.Hour)), key),
		"no expiry":             sign(jwt.SigningMethodHS256, auth.Claims{Typ: auth.KindTenant, TenantID: v.t1.id, RegisteredClaims: jwt.RegisteredClaims{Subject: itoa(v.t1.mainID), IssuedAt: jwt.NewNumericDate(now)}}, key),
		"garbage":               "not.a.token",
	}
	// HS/RS confusion: a token whose header says RS256 but that is an HMAC with the server's
	// key, as a verifier that takes the key for a public key would accept.
	hs := sign(jwt.SigningMethodHS256, claims(now, now.Add(time.Hour)), key)
	parts := strings.Split(hs, ".")
	confused := jwt.NewWithClaims(jwt.SigningMethodRS256, claims(now, now.Add(time.Hour)))
	unsigned, err := confused.SigningString()
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := jwt.SigningMethodHS256.Sign(unsigned, key)
	forged["RS256 header over an HMAC"] = unsigned + "." + base64.RawURLEncoding.EncodeToString(mac)
	other := claims(now, now.Add(time.Hour))
	other.TenantID = v.t2.id
	otherParts := strings.Split(sign(jwt.SigningMethodHS256, other, key), ".")
	forged["signature of other claims"] = otherParts[0] + "." + otherParts[1] + "." + parts[2]
	for what, tok := range forged {
		code, body := get(me, tok)
		refused("a "+what+" tenant token", code, body)
	}

	// A token of each kind on every route whose security does not list its kind.
	kinds := map[string]string{"tenantJwt": v.t1.main, "opsJwt": v.ops, "imJwt": v.alice, "demoJwt": v.demo}
	for _, o := range operations(t) {
		if o.op.Security == nil || len(*o.op.Security) == 0 {
			continue
		}
		accepts := map[string]bool{}
		for _, req := range *o.op.Security {
			for name := range req {
				accepts[name] = true
			}
		}
		for kind, tok := range kinds {
			if accepts[kind] {
				continue
			}
			code, body := v.try(t, o, attack{who: kind, appKey: v.a1.key, bearer: tok})
			if code == http.StatusNotImplemented {
				t.Errorf("%s %s with a %s: 501 before the gate refused the kind", o.method, o.path, kind)
				continue
			}
			refused(o.method+" "+o.path+" with a "+kind, code, body)
		}
	}

	// Every signed route: a replay of an accepted signature, and a signature out of its window.
	// Deletions go last: their first, accepted use takes the victim's resource away.
	ops := operations(t)
	slices.SortStableFunc(ops, func(a, b operation) int { return bool2int(a.method == "DELETE") - bool2int(b.method == "DELETE") })
	for _, o := range ops {
		if !signed(o) {
			continue
		}
		secret := v.a1.keys[serviceOf(o.path)]
		if o.id() == "imLogin" {
			secret = v.a1.secret
		}
		stale := attack{who: "stale", appKey: v.a1.key, secret: secret, at: now.Add(-6 * time.Minute)}
		code, body := v.try(t, o, stale)
		refused(o.method+" "+o.path+" signed 6 minutes ago", code, body)
		ahead := attack{who: "ahead", appKey: v.a1.key, secret: secret, at: now.Add(6 * time.Minute)}
		code, body = v.try(t, o, ahead)
		refused(o.method+" "+o.path+" signed 6 minutes ahead", code, body)
		replay := attack{who: "replay", appKey: v.a1.key, secret: secret, at: time.Now(), nonce: auth.RandomHex(12)}
		first, firstBody := v.try(t, o, replay)
		if first == 401 || first == 403 {
			t.Errorf("%s %s: the first use of a good signature got %d: %.200s", o.method, o.path, first, firstBody)
			continue
		}
		code, body = v.try(t, o, replay)
		if first == 400 {
			// Refused before its nonce was kept: the replay is refused the same way.
			attacks++
			if code < 400 {
				t.Errorf("%s %s: a replay of a refused request: %d", o.method, o.path, code)
			}
			continue
		}
		refused(o.method+" "+o.path+" replayed", code, body)
	}

	// Holders that are gone: a disabled sub-account, a deleted IM account, a disabled service,
	// a deleted app, a disabled tenant.
	exec(t, s, `UPDATE tenant_accounts SET status = 'DISABLED' WHERE id = $1`, v.t1.viewerID)
	code, body := get(me, v.t1.viewer)
	refused("the token of a disabled sub-account", code, body)
	if code, env, _ := s.Call(t, "DELETE", "/api/im/accounts/carol?appId="+v.a1.key, v.t1.main, ""); code != 200 {
		t.Fatalf("delete IM account: %d %s", code, env.Message)
	}
	carol := mint(t, s, auth.Claims{Typ: auth.KindIM, AppID: v.a1.id, AppKeyClaim: v.a1.key, TenantID: v.t1.id}, "carol")
	code, body = get("/api/im/conversations?appId="+v.a1.key, carol)
	refused("the IM token of a deleted account", code, body)
	if code, env, _ := s.Call(t, "POST", "/api/apps/"+itoa(v.a1b.id)+"/services/toggle", v.t1.main, `{"serviceType":"IM","enabled":false}`); code != 200 {
		t.Fatalf("toggle: %d %s", code, env.Message)
	}
	code, body = get("/api/im/conversations?appId="+v.a1b.key, v.eve)
	refused("an IM token of an app whose IM service is off", code, body)
	code, body = signedStatus(t, s, "POST", "/api/im/auth/login?appId="+v.a1b.key+"&userId=eve", v.a1b.key, v.a1b.secret, "", time.Time{}, "")
	refused("an IM login signed for an app whose IM service is off", code, body)
	if code, env, _ := s.Call(t, "DELETE", "/api/apps/"+itoa(v.a1b.id), v.t1.main, ""); code != 200 {
		t.Fatalf("delete app: %d %s", code, env.Message)
	}
	code, body = signedStatus(t, s, "POST", "/api/im/accounts/import?appId="+v.a1b.key, v.a1b.key, v.a1b.keys["IM"], `{"userId":"zed"}`, time.Time{}, "")
	refused("a signature of a deleted app", code, body)
	if code, env, _ := s.Call(t, "POST", "/api/ops/tenants/"+itoa(v.t2.id)+"/toggle-status", v.ops, `{"enabled":false}`); code != 200 {
		t.Fatalf("disable tenant: %d %s", code, env.Message)
	}
	for what, tok := range map[string]string{"tenant": v.t2.main, "IM": v.mallory} {
		code, body = get("/api/im/conversations?appId="+v.a2.key, tok)
		if what == "tenant" {
			code, body = get(me, tok)
		}
		refused("a "+what+" token of a disabled tenant", code, body)
	}
	code, body = signedStatus(t, s, "POST", "/api/im/accounts/import?appId="+v.a2.key, v.a2.key, v.a2.keys["IM"], `{"userId":"zed"}`, time.Time{}, "")
	refused("a signature of a disabled tenant's app", code, body)

	// Sessions end at a password reset.
	hash, err := password.Hash("Old-passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, `UPDATE tenant_accounts SET password_hash = $2 WHERE id = $1`, v.t1.mainID, hash)
	email := "victim-main@example.com"
	code, env, _ := s.Call(t, "POST", "/api/auth/login", "", `{"email":"`+email+`","password":"Old-passw0rd"}`)
	if code != 200 {
		t.Fatalf("login: %d %s", code, env.Message)
	}
	session := field(t, env.Data, "token")
	if code, env, _ := s.Call(t, "POST", "/api/auth/forgot-password", "", `{"email":"`+email+`"}`); code != 200 {
		t.Fatalf("forgot-password: %d %s", code, env.Message)
	}
	mails := queryStrings(t, s, `SELECT body FROM mail_outbox WHERE recipient = $1 ORDER BY id DESC LIMIT 1`, email)
	m := regexp.MustCompile(`Reset token: (\S+)`).FindStringSubmatch(strings.Join(mails, ""))
	if m == nil {
		t.Fatalf("no reset token mailed: %q", mails)
	}
	if code, env, _ := s.Call(t, "POST", "/api/auth/reset-password", "", `{"token":"`+m[1]+`","password":"New-passw0rd9"}`); code != 200 {
		t.Fatalf("reset-password: %d %s", code, env.Message)
	}
	code, body = get(me, session)
	refused("a tenant token from before a password reset", code, body)
	for _, tok := range []string{v.t1.main} {
		code, body = get(me, tok)
		refused("a minted tenant token from before a password reset", code, body)
	}
	t.Logf("credential attacks tried: %d", attacks)
}

// signed: the operation accepts an app-server signature.
func signed(o operation) bool {
	if o.op.Security == nil {
		return false
	}
	return slices.ContainsFunc(*o.op.Security, func(r openapiRequirement) bool { _, ok := r["appSignature"]; return ok })
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}
