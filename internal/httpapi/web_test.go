package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The docs and the demo are served from the binary: no Node, no CDN.
func TestDocsAndDemoPages(t *testing.T) {
	s := testserver.Start(t, nil)
	for path, want := range map[string]string{
		"/docs":                     "/docs/redoc.standalone.js",
		"/docs/redoc.standalone.js": "Redoc",
		"/docs/asyncapi":            "/docs/asyncapi.json",
		"/docs/asyncapi.yaml":       "asyncapi: 3.0.0",
		"/demo":                     "/demo/app.js",
		"/demo/app.js":              "ak_demo_chat",
		"/demo/style.css":           "#messages",
	} {
		resp, body := s.Fetch(t, http.MethodGet, path, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body without %q", path, resp.StatusCode, want)
		}
		if strings.Contains(string(body), "cdn.jsdelivr") || strings.Contains(string(body), "unpkg.com") {
			t.Errorf("GET %s refers to a CDN", path)
		}
	}
	resp, body := s.Fetch(t, http.MethodGet, "/docs/asyncapi.json", nil)
	var doc struct {
		AsyncAPI   string `json:"asyncapi"`
		Components struct {
			Messages map[string]any `json:"messages"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("asyncapi.json: %v (%s)", err, resp.Header.Get("Content-Type"))
	}
	if doc.AsyncAPI != "3.0.0" || doc.Components.Messages["synced"] == nil {
		t.Errorf("asyncapi.json is not the embedded asyncapi.yaml: %.200s", body)
	}
	// A path under them that is not a file is the router's 404 envelope, not a listing.
	if resp, _ := s.Fetch(t, http.MethodGet, "/demo/nothing-here.js", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing file: %d", resp.StatusCode)
	}
}
