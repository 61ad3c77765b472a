package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// envelope is the shape of every JSON response (the contract's Envelope and ErrorEnvelope).
type envelope struct {
	Code    int    `json:"code"`
	Status  string `json:"status"`
	Data    any    `json:"data"`
	Message string `json:"message"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// statusClientClosed (nginx's 499) is the status of a request that failed because its
// client went away: no one reads the answer, and it is no failure of the server's, so the
// access log and xuqm_http_requests_total count it apart from the 500s, with no error logged.
const statusClientClosed = 499

// writeError is the one place where an error becomes a response: the client gets the
// error's safe sentence, the log gets its cause.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	fe := fault.As(err)
	status := fe.Kind.Status()
	msg := fe.Message
	log := loggerFrom(r.Context())
	switch {
	case status == http.StatusInternalServerError && clientGone(r, err):
		status, msg = statusClientClosed, "the client closed the request"
		log.Info("client closed request", "method", r.Method, "path", r.URL.Path, "err", err)
	case status == http.StatusInternalServerError:
		id := requestIDFrom(r.Context())
		msg = "internal error (request id " + id + ")"
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case status != http.StatusNotImplemented:
		log.Debug("request refused", "status", status, "message", msg)
	}
	var data any
	if len(fe.Fields) > 0 {
		fields := make([]fieldError, len(fe.Fields))
		for i, f := range fe.Fields {
			fields[i] = fieldError(f)
		}
		data = fields
	}
	if fe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(fe.RetryAfter.Seconds()+0.999)))
	}
	writeEnvelope(w, status, data, msg)
}

// clientGone tells whether err comes of the client going away: the request's context was
// canceled (the connection closed), or the failure is a cancellation.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(r.Context().Err(), context.Canceled)
}

func writeEnvelope(w http.ResponseWriter, status int, data any, message string) {
	s := "0"
	if status >= 400 {
		s = "1"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(envelope{Code: status, Status: s, Data: data, Message: message}); err != nil {
		slog.Debug("write envelope", "err", err)
	}
}

// The success envelopes. Every envelope type of gen/api has the four fields of envelopeOf
// (and every page type the five of pageOf), so one generic function makes any of them: the
// response type is the type argument, the data the argument, and nothing else varies:
//
//	return success[api.SendMessage200JSONResponse](apiMessage(m)), nil
//	return successPage[api.ListFriends200JSONResponse](p, apiFriend), nil
//	return successEmpty[api.DeleteFriend200JSONResponse](), nil
//
// A response type of another shape does not compile, so the wire form cannot drift.

type envelopeOf[D any] interface {
	~struct {
		Code    int    `json:"code"`
		Data    D      `json:"data"`
		Message string `json:"message"`
		Status  string `json:"status"`
	}
}

type pageOf[A any] interface {
	~struct {
		Content       []A   `json:"content"`
		Page          int32 `json:"page"`
		Size          int32 `json:"size"`
		TotalElements int64 `json:"totalElements"`
		TotalPages    int32 `json:"totalPages"`
	}
}

// success is the envelope E of a success carrying data.
func success[E envelopeOf[D], D any](data D) E {
	return E{Code: http.StatusOK, Data: data, Message: "success", Status: "0"}
}

// successEmpty is the envelope E of a success without data (data null).
func successEmpty[E envelopeOf[*map[string]any]]() E { return success[E](nil) }

// successPage is the envelope E of a page of a list, each item converted by apiItem.
func successPage[E envelopeOf[P], P pageOf[A], T, A any](p page.Page[T], apiItem func(T) A) E {
	q := page.Map(p, apiItem)
	return success[E](P{Content: q.Items, Page: q.Number, Size: q.Size, TotalElements: q.Total, TotalPages: q.Pages()})
}
