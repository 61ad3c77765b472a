package hardening_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/xuqmgroup/xuqm/internal/httpapi"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// fuzzBudget is how many calls the spec-driven fuzz makes in all, spread over the operations.
const fuzzBudget = 3000

// defaultFuzzSeed makes every run the same; XUQM_FUZZ_SEED tries another.
const defaultFuzzSeed = 20261206

// fuzzWorkers is how many operations are fuzzed at once (each one's calls in order).
const fuzzWorkers = 3

// Every operation of the contract, called with its own kind of credential and with values made
// from its schema, valid and spoiled (limits and one past them, wrong types, 1 MiB strings,
// 10,000 levels of JSON, invalid UTF-8 and NUL, path tricks in names and ids, missing and extra
// fields, wrong content types, empty bodies, paging past its ends): no answer is a 5xx, the
// server still answers /healthz after each operation, and every answer is one the contract
// declares for the operation, in the envelope whose code is the HTTP status.
func TestSpecFuzz(t *testing.T) {
	seed := uint64(defaultFuzzSeed)
	if s := os.Getenv("XUQM_FUZZ_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("XUQM_FUZZ_SEED=%q: %v", s, err)
		}
		seed = n
	}
	budget := fuzzBudget
	if s := os.Getenv("XUQM_FUZZ_CALLS"); s != "" { // a longer run by hand
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("XUQM_FUZZ_CALLS=%q: %v", s, err)
		}
		budget = n
	}
	v := newVictims(t)
	spec, err := httpapi.Spec()
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := &fuzzer{t: t, v: v, seed: seed, spec: spec, router: router, byClass: map[string]int{}, byStatus: map[int]int{}, reported: map[string]bool{}, trace: os.Getenv("XUQM_FUZZ_TRACE") == "1",
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: fuzzWorkers * 2}}}

	ops := operations(t)
	plans := map[string][]fuzzCall{}
	cands := map[string]map[string][]fuzzCall{}
	for _, o := range ops {
		cands[o.id()] = v.candidates(o, opRand(seed, o))
	}
	quota, total := shareBudget(ops, cands, budget)
	for _, o := range ops {
		plans[o.id()] = pick(cands[o.id()], quota[o.id()], opRand(seed+1, o))
	}
	slices.SortStableFunc(ops, func(a, b operation) int { return rank(a) - rank(b) })

	jobs := make(chan operation)
	var wg sync.WaitGroup
	for range fuzzWorkers {
		wg.Go(func() {
			for o := range jobs {
				f.run(o, plans[o.id()])
			}
		})
	}
	for _, o := range ops {
		if rank(o) > 0 {
			break
		}
		jobs <- o
	}
	close(jobs)
	wg.Wait()
	// What takes the world's data away runs alone, after the rest, the tenant and its app last.
	for _, o := range ops {
		if rank(o) > 0 {
			f.run(o, plans[o.id()])
		}
	}

	if f.calls.Load() > int64(budget) {
		t.Errorf("made %d calls, over the budget of %d", f.calls.Load(), budget)
	}
	if f.failures.Load() > 0 {
		t.Errorf("%d failures in all, %d kinds, the first %d shown; reproduce with XUQM_FUZZ_SEED=%d", f.failures.Load(), len(f.reported), maxReported, seed)
	}
	t.Logf("spec fuzz, seed %d: %d operations covered, %d calls made of %d candidates; by class %v; by status %v",
		seed, len(ops), f.calls.Load(), total, f.byClass, f.byStatus)
}

// rank orders the operations: 0 may run in any order, 1 takes data away and runs alone after
// them, 2 (disabling the tenant, deleting its app) runs last.
func rank(o operation) int {
	switch id := o.id(); {
	case id == "toggleTenantStatus" || id == "deleteApp":
		return 2
	case o.method == http.MethodDelete, strings.Contains(id, "regenerate"), strings.Contains(id, "toggle"),
		strings.Contains(id, "rotate"), strings.Contains(id, "issolve"), strings.Contains(id, "disable"):
		return 1
	}
	return 0
}

// shareBudget gives each operation an equal share of fuzzBudget; what an operation with few
// candidates leaves goes to the others.
func shareBudget(ops []operation, cands map[string]map[string][]fuzzCall, budget int) (quota map[string]int, candidates int) {
	size := map[string]int{}
	for id, byClass := range cands {
		for _, cs := range byClass {
			size[id] += len(cs)
		}
	}
	for _, n := range size {
		candidates += n
	}
	quota = map[string]int{}
	left, open := budget, slices.Clone(ops)
	for left > 0 && len(open) > 0 {
		share := max(left/len(open), 1)
		var next []operation
		for _, o := range open {
			give := min(share, size[o.id()]-quota[o.id()], left)
			quota[o.id()] += give
			left -= give
			if quota[o.id()] < size[o.id()] {
				next = append(next, o)
			}
		}
		open = next
	}
	return quota, candidates
}

// pick takes n calls: every valid one, then the classes in turn, each class's calls shuffled.
func pick(byClass map[string][]fuzzCall, n int, rnd *rand.Rand) []fuzzCall {
	var out []fuzzCall
	classes := slices.Sorted(maps.Keys(byClass))
	queues := map[string][]fuzzCall{}
	for _, c := range classes {
		q := slices.Clone(byClass[c])
		rnd.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
		queues[c] = q
	}
	out = append(out, queues[classValid]...)
	delete(queues, classValid)
	for len(out) < n && len(queues) > 0 {
		for _, c := range classes {
			q, ok := queues[c]
			if !ok || len(out) >= n {
				continue
			}
			out = append(out, q[0])
			if len(q) == 1 {
				delete(queues, c)
			} else {
				queues[c] = q[1:]
			}
		}
	}
	return out[:min(n, len(out))]
}

// maxReported bounds the failures printed, so that one defect on every route stays readable.
const maxReported = 40

type fuzzer struct {
	t        *testing.T
	v        *victims
	seed     uint64
	spec     *openapi3.T
	router   routers.Router
	client   *http.Client
	calls    atomic.Int64
	failures atomic.Int64
	mu       sync.Mutex
	byClass  map[string]int
	byStatus map[int]int
	reported map[string]bool // kinds of failure already reported
	trace    bool            // XUQM_FUZZ_TRACE=1: every call on stderr as it is sent
}

// run makes an operation's calls in order, then checks that the server still answers.
func (f *fuzzer) run(o operation, calls []fuzzCall) {
	for _, c := range calls {
		req, err := f.request(c)
		if err != nil {
			f.t.Errorf("%s [%s]: the fuzz cannot build its request: %v", o.id(), c.what, err)
			continue
		}
		f.calls.Add(1)
		if f.trace {
			fmt.Fprintf(os.Stderr, "fuzz %s %s [%s] %.200s\n", time.Now().Format("15:04:05.000"), c.op.id(), c.what, req.URL.RequestURI())
		}
		resp, err := f.client.Do(req)
		if err != nil {
			f.fail(c, req, 0, nil, fmt.Sprintf("no answer: %v", err))
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			f.fail(c, req, resp.StatusCode, nil, fmt.Sprintf("answer cut: %v", err))
			continue
		}
		f.mu.Lock()
		f.byClass[c.class]++
		f.byStatus[resp.StatusCode]++
		f.mu.Unlock()
		if problem := f.check(c, req, resp, body); problem != "" {
			f.fail(c, req, resp.StatusCode, body, problem)
		}
	}
	resp, err := f.client.Get(f.v.s.URL + "/healthz")
	if err != nil {
		f.t.Errorf("after %s the server does not answer /healthz: %v", o.id(), err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		f.t.Errorf("after %s /healthz answers %d", o.id(), resp.StatusCode)
	}
}

// request turns a call into an HTTP request with the credential it names.
func (f *fuzzer) request(c fuzzCall) (*http.Request, error) {
	v := f.v
	path := c.op.path
	for name, val := range c.path {
		if !c.rawPath {
			val = url.PathEscape(val)
		}
		path = strings.ReplaceAll(path, "{"+name+"}", val)
	}
	u := v.s.URL + path
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.op.method, u, body)
	if err != nil {
		return nil, err
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	for k, val := range c.header {
		req.Header.Set(k, val)
	}
	switch c.scheme {
	case "tenantJwt":
		req.Header.Set("Authorization", "Bearer "+v.t1.main)
	case "opsJwt":
		req.Header.Set("Authorization", "Bearer "+v.ops)
	case "imJwt":
		req.Header.Set("Authorization", "Bearer "+v.alice)
	case "demoJwt":
		req.Header.Set("Authorization", "Bearer "+v.demo)
	case "appSignature":
		if _, ok := c.header["X-App-Key"]; !ok {
			req.Header.Set("X-App-Key", v.a1.key)
		}
		secret := v.a1.keys[serviceOf(c.op.path)]
		if c.op.id() == "imLogin" {
			secret = v.a1.secret
		}
		if err := testserver.Signed(secret, time.Time{}, "")(context.Background(), req); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// check is what is wrong with an answer, or "".
func (f *fuzzer) check(c fuzzCall, req *http.Request, resp *http.Response, body []byte) string {
	if resp.StatusCode >= 500 {
		return fmt.Sprintf("answered %d: the caller's bad input must be a 4xx", resp.StatusCode)
	}
	if req.Method != http.MethodHead && (resp.StatusCode >= 400 || isEnvelope(resp, body)) {
		var env testserver.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			return fmt.Sprintf("answered %d without the envelope: %v", resp.StatusCode, err)
		}
		want := "0"
		if resp.StatusCode >= 400 {
			want = "1"
		}
		if env.Code != resp.StatusCode || env.Status != want {
			return fmt.Sprintf("envelope code %d status %q for HTTP %d", env.Code, env.Status, resp.StatusCode)
		}
	}
	route, params, err := f.router.FindRoute(req)
	if err != nil {
		// A trick that leaves the contract's routes (a slash in an id): any error envelope.
		if resp.StatusCode < 400 {
			return fmt.Sprintf("answered %d on a path outside the contract", resp.StatusCode)
		}
		if req.Method == http.MethodHead {
			return "" // no body to check
		}
		if err := f.spec.Components.Schemas["ErrorEnvelope"].Value.VisitJSON(jsonValue(body)); err != nil {
			return fmt.Sprintf("error answer outside ErrorEnvelope: %v", err)
		}
		return ""
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) && len(me) > 3 {
			err = me[:3]
		}
		return fmt.Sprintf("answer outside the contract of %s: %.600v", route.Operation.OperationID, err)
	}
	return ""
}

// isEnvelope: a JSON answer of an operation that answers in the envelope (all but the
// CodePush clients' own routes and the downloads).
func isEnvelope(resp *http.Response, body []byte) bool {
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, code := m["code"]
	_, status := m["status"]
	return code && status
}

func jsonValue(b []byte) any {
	var x any
	_ = json.Unmarshal(b, &x) // a body that is not JSON is nil
	return x
}

func (f *fuzzer) fail(c fuzzCall, req *http.Request, status int, body []byte, problem string) {
	f.failures.Add(1)
	// One report per kind of failure and spoiled value: the same defect on many routes is one.
	kind := fmt.Sprintf("%.40s|%s", problem, c.what[strings.Index(c.what, ":")+1:])
	f.mu.Lock()
	seen := f.reported[kind]
	f.reported[kind] = true
	n := len(f.reported)
	f.mu.Unlock()
	if seen || n > maxReported {
		return
	}
	var h []string
	for _, k := range slices.Sorted(maps.Keys(req.Header)) {
		if k != "Authorization" && k != "X-App-Signature" {
			h = append(h, k+": "+req.Header.Get(k))
		}
	}
	f.t.Errorf("%s %s — %s [%s], credential %s, seed %d\n  %.400s (%d bytes of URL)\n  headers: %s\n  body (%d bytes): %.300q\n  answer %d: %.400s",
		c.op.id(), problem, c.class, c.what, c.scheme, f.seed, req.URL.RequestURI(), len(req.URL.RequestURI()), strings.Join(h, "; "), len(c.body), c.body, status, body)
}
