package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.yaml.in/yaml/v4"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/openapi"
)

// web holds the pages the binary serves beside the API, built and committed so that the
// server needs no Node and no network: /docs (Redoc's standalone bundle over the embedded
// spec, and a reading of asyncapi.yaml) and /demo (the chat built with clients/typescript).
// They are HTML and scripts, outside the contract and its envelope, like /healthz and /metrics.
//
//go:embed web
var web embed.FS

func mountWeb(r chi.Router) error {
	root, err := fs.Sub(web, "web")
	if err != nil {
		return err
	}
	var frames any
	if err := yaml.Unmarshal(openapi.AsyncAPI, &frames); err != nil {
		return fmt.Errorf("read the embedded asyncapi.yaml: %w", err)
	}
	framesJSON, err := json.Marshal(frames)
	if err != nil {
		return fmt.Errorf("asyncapi.yaml as JSON: %w", err)
	}
	server := http.FileServerFS(root)
	// A path that names no file is the router's 404 envelope, never a listing or plain text.
	files := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if info, err := fs.Stat(root, name); err != nil || info.IsDir() {
			writeError(w, r, fault.NotFoundf("no page %s", r.URL.Path))
			return
		}
		server.ServeHTTP(w, r)
	})
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, root, name)
		}
	}
	r.Get("/docs", page("docs/index.html"))
	r.Get("/docs/asyncapi", page("docs/asyncapi.html"))
	r.Get("/docs/asyncapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(framesJSON)
	})
	r.Get("/docs/asyncapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/yaml; charset=utf-8")
		_, _ = w.Write(openapi.AsyncAPI)
	})
	r.Get("/docs/*", files.ServeHTTP)
	r.Get("/demo", page("demo/index.html"))
	r.Get("/demo/*", files.ServeHTTP)
	return nil
}
