package testserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Envelope is the shape of every JSON answer.
type Envelope struct {
	Code    int             `json:"code"`
	Status  string          `json:"status"`
	Data    json.RawMessage `json:"data"`
	Message string          `json:"message"`
}

// Call sends a raw request through the validating client, for what the typed client cannot
// express (a malformed body, a wrong token kind, another area's route). body, when not empty,
// is sent as JSON; token, when not empty, as a bearer token. It decodes the envelope and
// checks that its code and status agree with the HTTP status.
func (s *Server) Call(t testing.TB, method, path, token, body string) (int, Envelope, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: not an envelope: %v: %s", method, path, err, raw)
	}
	want := "0"
	if resp.StatusCode >= 400 {
		want = "1"
	}
	if env.Code != resp.StatusCode || env.Status != want {
		t.Errorf("%s %s: envelope code %d status %q for HTTP %d", method, path, env.Code, env.Status, resp.StatusCode)
	}
	return resp.StatusCode, env, resp.Header
}

// Fetch sends a bodiless request with headers through the validating client and returns the
// response with its body read, for downloads (Range, If-None-Match, HEAD).
func (s *Server) Fetch(t testing.TB, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}
