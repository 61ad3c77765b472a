package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/go-chi/chi/v5"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// operation is what the gate knows of one route of the contract.
type operation struct {
	// route is the operation for kin-openapi's validation, with its security requirements
	// left out: the gate has authenticated the request by them already, and kin-openapi's
	// check of them (with no authentication function of its own to call) would only read
	// the whole body into memory a second time.
	route       *routers.Route
	requirement auth.Requirement
	area        string // the route group (XUQM_SERVICES), from the tag's x-area
	streamed    bool   // multipart body: streamed by the handler, never read whole here
	// transfer: an upload or a binary download, which may take longer than the server's
	// read and write timeouts allow an ordinary request.
	transfer bool
	// unbuilt is the operation's x-unbuilt mark (the issue that builds it): the gate answers
	// 501 for it, the handler is never called. Empty: the operation is built.
	unbuilt string
}

// tagArea is what a tag of the contract says of its operations: the route group
// (XUQM_SERVICES) from its x-area and the app service whose switch and key hold from its
// x-service (empty: none).
type tagArea struct{ area, service string }

// tagAreas reads x-area and x-service from every tag of the contract.
func tagAreas(spec *openapi3.T) (map[string]tagArea, error) {
	tags := make(map[string]tagArea, len(spec.Tags))
	for _, tag := range spec.Tags {
		area, ok := tag.Extensions["x-area"].(string)
		if !ok || area == "" {
			return nil, fmt.Errorf("contract: tag %q has no x-area (its route group)", tag.Name)
		}
		service, ok := tag.Extensions["x-service"].(string)
		if _, given := tag.Extensions["x-service"]; given && (!ok || service == "") {
			return nil, fmt.Errorf("contract: tag %q: x-service must name a service", tag.Name)
		}
		tags[tag.Name] = tagArea{area: area, service: service}
	}
	return tags, nil
}

// operations reads every operation of the contract, keyed by "METHOD /path/{template}",
// the same template chi matches.
func operations(spec *openapi3.T) (map[string]*operation, error) {
	tags, err := tagAreas(spec)
	if err != nil {
		return nil, err
	}
	ops := map[string]*operation{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			security := spec.Security
			if op.Security != nil {
				security = *op.Security
			}
			validated := *op
			validated.Security = &openapi3.SecurityRequirements{}
			o := &operation{route: &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: &validated}}
			for _, req := range security {
				if len(req) == 0 { // {}: callers without credentials are served too
					o.requirement.Optional = true
				}
				for name := range req {
					o.requirement.Schemes = append(o.requirement.Schemes, auth.Scheme(name))
				}
			}
			if len(op.Tags) == 0 {
				return nil, fmt.Errorf("contract: %s %s has no tag", method, path)
			}
			tag, ok := tags[op.Tags[0]]
			if !ok {
				return nil, fmt.Errorf("contract: %s %s: tag %q is not among the contract's tags", method, path, op.Tags[0])
			}
			o.area, o.requirement.Service = tag.area, tag.service
			if op.RequestBody != nil && op.RequestBody.Value != nil && op.RequestBody.Value.Content.Get("multipart/form-data") != nil {
				o.streamed = true
			}
			o.transfer = o.streamed || binaryAnswer(op)
			if o.unbuilt, err = unbuiltMark(op); err != nil {
				return nil, fmt.Errorf("contract: %s %s: %w", method, path, err)
			}
			ops[method+" "+path] = o
		}
	}
	return ops, nil
}

// unbuiltMark is an operation's x-unbuilt, which must come with the shared 501 among its
// responses, as the 501 must come with the mark.
func unbuiltMark(op *openapi3.Operation) (string, error) {
	mark, marked := op.Extensions["x-unbuilt"]
	why, _ := mark.(string)
	if marked && why == "" {
		return "", errors.New("x-unbuilt must say which issue builds the operation")
	}
	const notImplemented = "#/components/responses/NotImplemented"
	listed := op.Responses.Value("501")
	switch {
	case marked && (listed == nil || listed.Ref != notImplemented):
		return "", errors.New("x-unbuilt without the shared 501 response (" + notImplemented + ")")
	case !marked && listed != nil:
		return "", errors.New("a 501 response, but no x-unbuilt mark: only an operation not built yet answers 501")
	}
	return why, nil
}

// binaryAnswer tells whether an operation's success is raw bytes (a download) rather than JSON.
func binaryAnswer(op *openapi3.Operation) bool {
	ok := op.Responses.Value("200")
	if ok == nil || ok.Value == nil {
		return false
	}
	return ok.Value.Content.Get("application/json") == nil && len(ok.Value.Content) > 0
}

// gate checks every request of the contract before a handler sees it: the route group is
// served here, the caller is who the route's security accepts, and the request matches the
// contract. The principal goes into the context. An operation marked x-unbuilt gets 501 once
// the request has passed every check.
type gate struct {
	mux     *chi.Mux
	ops     map[string]*operation
	authn   *auth.Authenticator
	serves  func(area string) bool
	maxBody int64
	// maxUpload bounds a streamed (multipart) body here too, so that hashing a signed upload
	// cannot fill the disk before the service's own, tighter limit applies.
	maxUpload int64
	public    *addressLimiter // nil: public routes are not limited
	// transferTimeout replaces the server's read and write timeouts for uploads and
	// downloads; 0 keeps them.
	transferTimeout time.Duration
}

func (g *gate) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx := chi.NewRouteContext()
		path := r.URL.RawPath
		if path == "" {
			path = r.URL.Path
		}
		if !g.mux.Match(rctx, r.Method, path) {
			next.ServeHTTP(w, r)
			return
		}
		info := infoFrom(r.Context())
		if info != nil {
			info.pattern = rctx.RoutePattern()
		}
		op := g.ops[r.Method+" "+rctx.RoutePattern()]
		if op == nil { // /healthz, /metrics, /ws/im: outside the contract's operations
			next.ServeHTTP(w, r)
			return
		}
		if op.transfer && g.transferTimeout > 0 {
			// Errors mean the connection cannot take deadlines (HTTP/2 in tests); it keeps the
			// server's.
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(g.transferTimeout))
			_ = rc.SetWriteDeadline(time.Now().Add(g.transferTimeout))
		}
		if !g.serves(op.area) {
			writeError(w, r, fault.NotFoundf("this instance does not serve the %s routes", op.area))
			return
		}
		if len(op.requirement.Schemes) == 0 || op.requirement.Optional {
			if ok, wait := g.public.allow(auth.ClientAddr(r.Context()), time.Now()); !ok {
				writeError(w, r, fault.RateLimitedf(wait, "too many requests from this address; slow down"))
				return
			}
		}
		if r.Body != nil {
			limit := g.maxBody
			if op.streamed {
				limit = g.maxUpload
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		query := r.URL.Query() // once: the text check, the credentials and the validation read it
		if err := checkURLText(r, query); err != nil {
			writeError(w, r, err)
			return
		}
		body := &spooledBody{r: r}
		defer body.cleanup()
		p, err := g.authn.Authenticate(r.Context(), op.requirement, credentials(r, query, body.hash))
		if err != nil {
			writeError(w, r, err)
			return
		}
		if err := checkBodyText(r, !op.streamed); err != nil {
			writeError(w, r, err)
			return
		}
		if err := g.validate(r.Context(), r, query, rctx, op); err != nil {
			writeError(w, r, err)
			return
		}
		if op.unbuilt != "" {
			writeError(w, r, fault.NotBuilt(op.route.Operation.OperationID, op.unbuilt))
			return
		}
		if info == nil { // a handler tested without requestContext
			info = &requestInfo{id: requestIDFrom(r.Context()), base: slog.Default(), req: r}
			r = r.WithContext(context.WithValue(r.Context(), keyRequestInfo, info))
		}
		info.principal = p
		next.ServeHTTP(w, r)
	})
}

func credentials(r *http.Request, query url.Values, bodyHash func() (string, error)) auth.Credentials {
	c := auth.Credentials{
		Method:     r.Method,
		QueryToken: query.Get("token"),
		AppKey:     query.Get("appId"),
		Signature:  r.Header.Get("X-App-Signature"),
		Signed: auth.SignedRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Timestamp: r.Header.Get("X-App-Timestamp"), Nonce: r.Header.Get("X-App-Nonce"),
		},
		BodyHash: bodyHash,
	}
	if c.AppKey == "" {
		c.AppKey = r.Header.Get("X-App-Key")
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		c.Bearer = strings.TrimSpace(h[7:])
	}
	return c
}

func (g *gate) validate(ctx context.Context, r *http.Request, query url.Values, rctx *chi.Context, op *operation) error {
	params := make(map[string]string, len(rctx.URLParams.Keys))
	for i, k := range rctx.URLParams.Keys {
		params[k] = rctx.URLParams.Values[i]
	}
	err := openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, QueryParams: query, Route: op.route,
		Options: &openapi3filter.Options{MultiError: true, ExcludeRequestBody: op.streamed},
	})
	if err == nil {
		return nil
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return fault.TooLargef("the request body is larger than %d bytes", tooLarge.Limit)
	}
	return validationFault(err)
}
