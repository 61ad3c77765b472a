package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/go-chi/chi/v5"
)

// gateSpec is a contract of two public operations: getThing, marked not built yet, and
// listThings, built.
const gateSpec = `
openapi: 3.0.3
info: {title: gate test, version: "1"}
tags:
  - {name: things, x-area: things}
paths:
  /api/things/{id}:
    get:
      operationId: getThing
      tags: [things]
      x-unbuilt: "#42, things"
      security: []
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
      responses:
        "200": {description: the thing}
        "400": {$ref: '#/components/responses/Error'}
        "404": {$ref: '#/components/responses/Error'}
        "501": {$ref: '#/components/responses/NotImplemented'}
  /api/things:
    get:
      operationId: listThings
      tags: [things]
      security: []
      responses:
        "200": {description: the things}
components:
  responses:
    Error:
      description: an error
      content: {application/json: {schema: {$ref: '#/components/schemas/ErrorEnvelope'}}}
    NotImplemented:
      description: not built yet
      content: {application/json: {schema: {$ref: '#/components/schemas/ErrorEnvelope'}}}
  schemas:
    ErrorEnvelope:
      type: object
      required: [code, status, data, message]
      properties:
        code: {type: integer}
        status: {type: string, enum: ["1"]}
        data: {nullable: true}
        message: {type: string}
`

func loadGateSpec(t *testing.T, doc string) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return spec
}

// An operation marked x-unbuilt is answered 501 by the gate, in the error envelope and inside
// the contract, after the request's checks; its handler never runs, and the built operation
// beside it is served.
func TestGateAnswersUnbuiltOperations501(t *testing.T) {
	spec := loadGateSpec(t, gateSpec)
	ops, err := operations(spec)
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	g := &gate{mux: r, ops: ops, serves: func(string) bool { return true }, maxBody: 1 << 20, maxUpload: 1 << 20}
	r.Use(g.handler)
	r.Get("/api/things/{id}", func(w http.ResponseWriter, r *http.Request) {
		t.Error("the handler of an unbuilt operation ran")
	})
	listed := false
	r.Get("/api/things", func(w http.ResponseWriter, r *http.Request) { listed = true })

	req := httptest.NewRequest(http.MethodGet, "/api/things/7", nil)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	var env struct {
		Code    int    `json:"code"`
		Status  string `json:"status"`
		Data    any    `json:"data"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("501 body %q: %v", rec.Body, err)
	}
	if rec.Code != http.StatusNotImplemented || env.Code != 501 || env.Status != "1" || env.Data != nil ||
		env.Message != "this route (getThing) is not built yet: #42, things" {
		t.Errorf("unbuilt operation: %d %+v", rec.Code, env)
	}
	route := ops["GET /api/things/{id}"].route
	if err := openapi3filter.ValidateResponse(t.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: map[string]string{"id": "7"}, Route: route},
		Status:                 rec.Code, Header: rec.Header(), Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}); err != nil {
		t.Errorf("the 501 is outside the contract: %v", err)
	}

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/things/0", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("invalid input to an unbuilt operation: %d, want the 400 of the checks before the 501", rec.Code)
	}

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/things", nil))
	if rec.Code != http.StatusOK || !listed {
		t.Errorf("built operation beside an unbuilt one: %d, handler ran %v", rec.Code, listed)
	}
}

// The gate refuses a contract whose marks it cannot act on: operations() fails, so NewRouter
// does and the server does not start.
func TestGateRefusesAContractItCannotRoute(t *testing.T) {
	cases := []struct{ name, from, to, wantErr string }{
		{"x-unbuilt without the 501", `        "501": {$ref: '#/components/responses/NotImplemented'}` + "\n", "", "without the shared 501"},
		{"a 501 without x-unbuilt", `      x-unbuilt: "#42, things"` + "\n", "", "no x-unbuilt mark"},
		{"an empty x-unbuilt", `x-unbuilt: "#42, things"`, `x-unbuilt: ""`, "which issue builds"},
		{"a tag without x-area", `{name: things, x-area: things}`, `{name: things}`, `tag "things" has no x-area`},
		{"an x-service that names nothing", `{name: things, x-area: things}`, `{name: things, x-area: things, x-service: ""}`, "x-service must name a service"},
		{"an undeclared tag", `      operationId: listThings
      tags: [things]`, `      operationId: listThings
      tags: [stuff]`, `tag "stuff" is not among`},
		{"an operation without a tag", `      operationId: listThings
      tags: [things]
`, `      operationId: listThings
`, "has no tag"},
	}
	for _, c := range cases {
		doc := strings.Replace(gateSpec, c.from, c.to, 1)
		if doc == gateSpec {
			t.Fatalf("%s: the test's replacement does not apply", c.name)
		}
		spec, err := openapi3.NewLoader().LoadFromData([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if _, err := operations(spec); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: operations() = %v, want an error about %q", c.name, err, c.wantErr)
		}
	}
}
