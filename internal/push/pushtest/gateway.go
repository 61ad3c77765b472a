// Package pushtest is a local stand-in for the push vendors' gateways, for tests: one HTTP/2
// TLS server that answers as APNs (POST /3/device/{token}, checking the ES256 provider
// token), as FCM HTTP v1 (POST /v1/projects/{project}/messages:send, checking the OAuth 2.0
// bearer that its /fcm/token endpoint issued for the service account's signed assertion)
// and as HMS Push Kit (POST /v1/{appId}/messages:send and /hms/token), each as its
// documentation says.
//
// A device token chooses the answer: "gone-…" is unregistered (APNs 410 Unregistered, FCM
// 404 UNREGISTERED, HMS 80300007), "bad-…" is refused (400), "busy<N>-…" is answered 429
// (with Retry-After: 1) N times before it is taken, and any other token is taken.
package pushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The credentials the gateway accepts.
const (
	APNsKeyID   = "KEY1234567"
	APNsTeamID  = "TEAM123456"
	BundleID    = "com.example.chat"
	FCMProject  = "xuqm-test"
	FCMEmail    = "push@xuqm-test.iam.gserviceaccount.com"
	HMSAppID    = "10086"
	HMSSecret   = "hms-client-secret"
	fcmScope    = "https://www.googleapis.com/auth/firebase.messaging"
	retryAfterS = "1"
)

// Request is a notification the gateway took.
type Request struct {
	Vendor string // APNS, FCM, HUAWEI
	Token  string
	Body   map[string]any
	Header http.Header
}

// Gateway is the running server.
type Gateway struct {
	URL string
	srv *httptest.Server

	apnsKey    *ecdsa.PrivateKey
	fcmKey     *rsa.PrivateKey
	APNsKeyPEM string // the .p8 key to configure
	// Delay, when set, is how long each notification takes to be answered.
	Delay time.Duration

	mu        sync.Mutex
	taken     []Request
	calls     map[string]int // notification requests per device token
	apnsJWTs  map[string]bool
	fcmTokens map[string]bool
	hmsTokens map[string]bool
	failures  []string // what a client did wrong
}

// Start runs a gateway until the test ends.
func Start(t testing.TB) *Gateway {
	t.Helper()
	g := &Gateway{calls: map[string]int{}, apnsJWTs: map[string]bool{}, fcmTokens: map[string]bool{}, hmsTokens: map[string]bool{}}
	var err error
	if g.apnsKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(g.apnsKey)
	if err != nil {
		t.Fatal(err)
	}
	g.APNsKeyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if g.fcmKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /3/device/{token}", g.apns)
	mux.HandleFunc("POST /fcm/token", g.fcmToken)
	mux.HandleFunc("POST /v1/projects/{project}/messages:send", g.fcm)
	mux.HandleFunc("POST /hms/token", g.hmsToken)
	mux.HandleFunc("POST /v1/{app}/messages:send", g.hms)
	g.srv = httptest.NewUnstartedServer(mux)
	g.srv.EnableHTTP2 = true
	g.srv.StartTLS()
	g.URL = g.srv.URL
	t.Cleanup(g.srv.Close)
	return g
}

// Certificate is the server's certificate, the authority a client must trust.
func (g *Gateway) Certificate() *x509.Certificate { return g.srv.Certificate() }

// RootCAs is a pool trusting the gateway.
func (g *Gateway) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(g.srv.Certificate())
	return p
}

// CAFile writes the gateway's certificate as PEM into dir (for XUQM_PUSH_CA_FILE).
func (g *Gateway) CAFile(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gateway-ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ServiceAccountJSON is an FCM service account key file whose token_uri is Google's own, so
// that only a configured token URL (XUQM_FCM_TOKEN_URL) reaches this gateway.
func (g *Gateway) ServiceAccountJSON() string {
	der, _ := x509.MarshalPKCS8PrivateKey(g.fcmKey)
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": FCMProject, "private_key_id": "key-1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": FCMEmail, "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
	})
	return string(b)
}

// FCMTokenURL is the gateway's OAuth 2.0 token endpoint for FCM.
func (g *Gateway) FCMTokenURL() string { return g.URL + "/fcm/token" }

// HMSTokenURL is the gateway's OAuth 2.0 token endpoint for HMS.
func (g *Gateway) HMSTokenURL() string { return g.URL + "/hms/token" }

// Taken is a copy of the notifications taken so far.
func (g *Gateway) Taken() []Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Request(nil), g.taken...)
}

// Calls is how many notification requests came for a device token.
func (g *Gateway) Calls(token string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[token]
}

// Mints are how many APNs provider tokens, FCM access tokens and HMS access tokens were
// used or issued.
func (g *Gateway) Mints() (apns, fcm, hms int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.apnsJWTs), len(g.fcmTokens), len(g.hmsTokens)
}

// Failures are the clients' mistakes the gateway saw (bad tokens, HTTP/1).
func (g *Gateway) Failures() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.failures...)
}

func (g *Gateway) fail(format string, args ...any) {
	g.mu.Lock()
	g.failures = append(g.failures, fmt.Sprintf(format, args...))
	g.mu.Unlock()
}

// answer counts the call and says what the token asks for: "ok", "gone", "bad" or "busy".
func (g *Gateway) answer(token string) string {
	if g.Delay > 0 {
		time.Sleep(g.Delay)
	}
	g.mu.Lock()
	g.calls[token]++
	n := g.calls[token]
	g.mu.Unlock()
	switch {
	case strings.HasPrefix(token, "gone-"):
		return "gone"
	case strings.HasPrefix(token, "bad-"):
		return "bad"
	case strings.HasPrefix(token, "busy"):
		times, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(token, "-", 2)[0], "busy"))
		if n <= times {
			return "busy"
		}
	}
	return "ok"
}

func (g *Gateway) take(vendor, token string, r *http.Request) bool {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		g.fail("%s: body is not JSON: %v", vendor, err)
		return false
	}
	g.mu.Lock()
	g.taken = append(g.taken, Request{Vendor: vendor, Token: token, Body: body, Header: r.Header.Clone()})
	g.mu.Unlock()
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apns answers as APNs: the provider token must be an ES256 JWT with the key's kid and the
// team as iss, issued within the hour.
func (g *Gateway) apns(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor != 2 {
		g.fail("APNs over HTTP/%d", r.ProtoMajor)
	}
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "bearer ")
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(bearer, claims, func(t *jwt.Token) (any, error) {
		if t.Header["kid"] != APNsKeyID {
			return nil, fmt.Errorf("kid %v", t.Header["kid"])
		}
		return &g.apnsKey.PublicKey, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuedAt())
	iat, _ := claims.GetIssuedAt()
	if !ok || err != nil || !tok.Valid || claims["iss"] != APNsTeamID || iat == nil || time.Since(iat.Time) > time.Hour {
		g.fail("APNs provider token refused: %v", err)
		writeJSON(w, http.StatusForbidden, map[string]string{"reason": "InvalidProviderToken"})
		return
	}
	g.mu.Lock()
	g.apnsJWTs[bearer] = true
	g.mu.Unlock()
	if r.Header.Get("apns-topic") != BundleID {
		writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "BadTopic"})
		return
	}
	token := r.PathValue("token")
	switch g.answer(token) {
	case "gone":
		writeJSON(w, http.StatusGone, map[string]any{"reason": "Unregistered", "timestamp": time.Now().UnixMilli()})
	case "bad":
		writeJSON(w, http.StatusBadRequest, map[string]string{"reason": "BadExpirationDate"})
	case "busy":
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"reason": "TooManyRequests"})
	default:
		if g.take("APNS", token, r) {
			w.Header().Set("apns-id", fmt.Sprintf("apns-%s-%d", token, g.Calls(token)))
			w.WriteHeader(http.StatusOK)
		}
	}
}

// fcmToken is Google's token endpoint: a JWT bearer grant signed with the service account's
// key (RS256), for the FCM scope.
func (g *Gateway) fcmToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.Form.Get("assertion"), claims, func(*jwt.Token) (any, error) { return &g.fcmKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(g.FCMTokenURL()), jwt.WithIssuer(FCMEmail))
	if err != nil || !strings.Contains(fmt.Sprint(claims["scope"]), fcmScope) {
		g.fail("FCM assertion refused: %v", err)
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	g.mu.Lock()
	access := fmt.Sprintf("ya29.fcm-%d", len(g.fcmTokens)+1)
	g.fcmTokens[access] = true
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "expires_in": 3599, "token_type": "Bearer"})
}

func fcmError(w http.ResponseWriter, status int, code, errorCode, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": msg, "status": code,
		"details": []map[string]string{{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": errorCode}},
	}})
}

// fcm answers as the FCM HTTP v1 API.
func (g *Gateway) fcm(w http.ResponseWriter, r *http.Request) {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	known := g.fcmTokens[bearer]
	g.mu.Unlock()
	if !known || r.PathValue("project") != FCMProject {
		g.fail("FCM call with bearer %q for project %s", bearer, r.PathValue("project"))
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "UNAUTHENTICATED", "message": "Request had invalid authentication credentials."}})
		return
	}
	var body struct {
		Message map[string]any `json:"message"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		fcmError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "bad JSON")
		return
	}
	token, _ := body.Message["token"].(string)
	switch g.answer(token) {
	case "gone":
		fcmError(w, http.StatusNotFound, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")
	case "bad":
		fcmError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token")
	case "busy":
		w.Header().Set("Retry-After", retryAfterS)
		fcmError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.")
	default:
		g.mu.Lock()
		g.taken = append(g.taken, Request{Vendor: "FCM", Token: token, Body: body.Message, Header: r.Header.Clone()})
		g.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"name": fmt.Sprintf("projects/%s/messages/%s-%d", FCMProject, token, g.Calls(token))})
	}
}

// hmsToken is Huawei's OAuth 2.0 client-credentials endpoint.
func (g *Gateway) hmsToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" ||
		r.PostForm.Get("client_id") != HMSAppID || r.PostForm.Get("client_secret") != HMSSecret {
		g.fail("HMS token request refused: %v", r.PostForm)
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 1101, "error_description": "invalid client"})
		return
	}
	g.mu.Lock()
	access := fmt.Sprintf("hms-access-%d", len(g.hmsTokens)+1)
	g.hmsTokens[access] = true
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "expires_in": 3600, "token_type": "Bearer"})
}

// hms answers as Push Kit's messages:send: HTTP 200 with a result code.
func (g *Gateway) hms(w http.ResponseWriter, r *http.Request) {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	known := g.hmsTokens[bearer]
	g.mu.Unlock()
	if !known || r.PathValue("app") != HMSAppID {
		g.fail("HMS call with bearer %q for app %s", bearer, r.PathValue("app"))
		writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "80200001", "msg": "Oauth authentication error"})
		return
	}
	var body struct {
		Message map[string]any `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "80100003", "msg": "Incorrect message structure"})
		return
	}
	tokens, _ := body.Message["token"].([]any)
	token := ""
	if len(tokens) == 1 {
		token, _ = tokens[0].(string)
	}
	switch g.answer(token) {
	case "gone":
		writeJSON(w, http.StatusOK, map[string]string{"code": "80300007", "msg": "All the tokens are invalid", "requestId": "r"})
	case "bad":
		writeJSON(w, http.StatusBadRequest, map[string]string{"code": "80100003", "msg": "Incorrect message structure", "requestId": "r"})
	case "busy":
		w.Header().Set("Retry-After", retryAfterS)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"code": "81000001", "msg": "System inner error"})
	default:
		g.mu.Lock()
		g.taken = append(g.taken, Request{Vendor: "HUAWEI", Token: token, Body: body.Message, Header: r.Header.Clone()})
		g.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"code": "80000000", "msg": "Success", "requestId": "hms-" + url.PathEscape(token)})
	}
}
