package testserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/xuqmgroup/xuqm/internal/httpapi"
)

var contract struct {
	once   sync.Once
	spec   *openapi3.T
	router routers.Router
	err    error
}

func loadContract() (*openapi3.T, routers.Router, error) {
	contract.once.Do(func() {
		contract.spec, contract.err = httpapi.Spec()
		if contract.err == nil {
			contract.router, contract.err = gorillamux.NewRouter(contract.spec)
		}
	})
	return contract.spec, contract.router, contract.err
}

// validator is an http.RoundTripper that fails the test on any response outside the contract.
type validator struct {
	t      testing.TB
	spec   *openapi3.T
	router routers.Router
	base   http.RoundTripper
}

func newValidator(t testing.TB) *validator {
	spec, router, err := loadContract()
	if err != nil {
		t.Fatalf("load contract: %v", err)
	}
	return &validator{t: t, spec: spec, router: router, base: http.DefaultTransport}
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := v.check(req, resp, body); err != nil {
		v.t.Errorf("%s %s answered %d outside the contract: %v\nbody: %.600s", req.Method, req.URL.RequestURI(), resp.StatusCode, err, body)
	}
	return resp, nil
}

// check validates a response of a contract route against its operation, whatever its status
// (a 501 too: only an operation marked x-unbuilt lists it). The answers outside any operation
// (404 and 405 of unknown routes) must still be error envelopes.
func (v *validator) check(req *http.Request, resp *http.Response, body []byte) error {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		if resp.StatusCode < 400 || req.Method == http.MethodHead {
			return nil // /healthz, /metrics, /openapi.json: outside the contract
		}
		return v.checkErrorEnvelope(body)
	}
	return openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

func (v *validator) checkErrorEnvelope(body []byte) error {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	return v.spec.Components.Schemas["ErrorEnvelope"].Value.VisitJSON(doc, openapi3.MultiErrors())
}
