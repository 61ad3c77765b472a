package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// envelope is the shape of every JSON response (DESIGN.md, "Response envelope").
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

// writeError is the one place where an error becomes a response: the client gets the
// error's safe sentence, the log gets its cause.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	fe := fault.As(err)
	status := fe.Kind.Status()
	msg := fe.Message
	log := loggerFrom(r.Context())
	if status == http.StatusInternalServerError {
		id := requestIDFrom(r.Context())
		msg = "internal error (request id " + id + ")"
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if status != http.StatusNotImplemented {
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
