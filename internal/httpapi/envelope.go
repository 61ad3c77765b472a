package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/xuqmgroup/xuqm/internal/fault"
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
