package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/xuqmgroup/xuqm/internal/httpapi"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// garbage are the values each parameter and each top-level body field is tried with, one at
// a time, the others valid, so that the bad value travels past the validator where it can.
var garbage = []any{"", "-1", "0", "a\x00b", "\xff\xfe", "99999999999999999999", "../../etc/passwd", "x' OR '1'='1", "你好", strings.Repeat("z", 5000),
	nil, -1, 1e300, true, []any{}, map[string]any{}, []any{1, "a"}}

var malformedBodies = []string{`{`, `[]`, `null`, `"text"`, `{"a":` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 201)}

// Every operation of the contract, called as its own kind of caller with valid input but for
// one bad value, answers inside the contract (the harness checks every answer) and never with
// a 5xx: bad input is the caller's fault, told in a 4xx envelope.
func TestNoOperationAnswers5xxOnBadInput(t *testing.T) {
	w := newWorld(t)
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	// Calls that take the world's app, tenant or accounts away go last, so that the others
	// reach past the gate.
	type operation struct {
		method, path string
		op           *openapi3.Operation
	}
	var ops []operation
	for _, path := range spec.Paths.InMatchingOrder() {
		for method, op := range spec.Paths.Value(path).Operations() {
			ops = append(ops, operation{method, path, op})
		}
	}
	destructive := func(o operation) bool {
		return o.method == "DELETE" || strings.Contains(o.path, "toggle") || strings.Contains(o.path, "regenerate")
	}
	sort.Slice(ops, func(i, j int) bool {
		if di, dj := destructive(ops[i]), destructive(ops[j]); di != dj {
			return dj
		}
		return ops[i].path+ops[i].method < ops[j].path+ops[j].method
	})
	statuses := map[int]int{}
	call := func(c fuzzCall) {
		req := w.fuzzRequest(t, c)
		resp, err := w.s.HTTP.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		resp.Body.Close()
		statuses[resp.StatusCode]++
		if resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented {
			t.Errorf("%s %s body %.200s: %d", c.method, req.URL.RequestURI(), c.body, resp.StatusCode)
		}
	}
	for _, o := range ops {
		{
			method, path, op := o.method, o.path, o.op
			base := fuzzCall{method: method, path: path, op: op, params: map[string]string{}}
			for _, p := range op.Parameters {
				base.params[p.Value.Name] = w.validParam(p.Value)
			}
			var body map[string]any
			if op.RequestBody != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
					v, _ := testserver.Example(mt.Schema, 0).(map[string]any)
					body = v
				}
			}
			base.body = encode(body)
			call(base)
			for name := range base.params {
				if name == "appId" {
					continue // the app must exist for the gate to let the call in
				}
				for _, g := range garbage {
					c := base.with(name, fmt.Sprint(g))
					call(c)
				}
			}
			if body == nil {
				continue
			}
			for field := range body {
				for _, g := range garbage {
					b := map[string]any{}
					for k, v := range body {
						b[k] = v
					}
					b[field] = g
					c := base
					c.body = encode(b)
					call(c)
				}
			}
			for _, raw := range malformedBodies {
				c := base
				c.body = raw
				call(c)
			}
		}
	}
	t.Logf("answers by status: %v", statuses)
}

type fuzzCall struct {
	method, path string
	op           *openapi3.Operation
	params       map[string]string
	body         string
}

func (c fuzzCall) with(name, value string) fuzzCall {
	p := map[string]string{}
	for k, v := range c.params {
		p[k] = v
	}
	p[name] = value
	c.params = p
	return c
}

func encode(v map[string]any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// validParam is a value the parameter's schema accepts, naming the world's own resources.
func (w *world) validParam(p *openapi3.Parameter) string {
	switch p.Name {
	case "appId":
		return w.appKey
	case "userId", "toId", "targetId", "toUserId", "blockedUserId", "userA":
		return "alice"
	case "userB":
		return "bob"
	case "id":
		return fmt.Sprint(w.appID)
	}
	return fmt.Sprint(testserver.Example(p.Schema, 0))
}

func (w *world) fuzzRequest(t *testing.T, c fuzzCall) *http.Request {
	path := c.path
	q := url.Values{}
	header := http.Header{}
	for _, p := range c.op.Parameters {
		v := c.params[p.Value.Name]
		switch p.Value.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", url.PathEscape(v))
		case "query":
			q.Set(p.Value.Name, v)
		case "header":
			if !strings.HasPrefix(p.Value.Name, "X-App-") && storableHeader(v) {
				header.Set(p.Value.Name, v)
			}
		}
	}
	u := w.s.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var req *http.Request
	var err error
	if c.op.RequestBody != nil && c.body != "" {
		req, err = http.NewRequest(c.method, u, strings.NewReader(c.body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	} else {
		req, err = http.NewRequest(c.method, u, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	w.authorize(t, req, c.op)
	return req
}

// authorize gives the request the credential of the first kind its operation accepts.
func (w *world) authorize(t *testing.T, req *http.Request, op *openapi3.Operation) {
	if op.Security == nil || len(*op.Security) == 0 {
		return
	}
	for scheme := range (*op.Security)[0] {
		switch scheme {
		case "tenantJwt":
			req.Header.Set("Authorization", "Bearer "+w.tenant)
		case "opsJwt":
			req.Header.Set("Authorization", "Bearer "+w.ops)
		case "imJwt":
			req.Header.Set("Authorization", "Bearer "+w.im)
		case "demoJwt":
			req.Header.Set("Authorization", "Bearer "+w.demo)
		case "appSignature":
			req.Header.Set("X-App-Key", w.appKey)
			secret := w.appSecret
			if len(*op.Security) > 1 {
				secret = w.imKey // app-admin routes take the service key; IM's is enough here
			}
			if err := testserver.Signed(secret, time.Now(), "")(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unknown scheme %s", scheme)
		}
	}
}

// storableHeader: Go's client refuses to send control characters in a header at all.
func storableHeader(v string) bool { return !strings.ContainsAny(v, "\x00\r\n") }
