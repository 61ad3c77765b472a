package httpapi

import (
	"errors"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

var missingProperty = regexp.MustCompile(`property "([^"]+)" is missing`)

// validationFault turns kin-openapi's findings into a 400 that names every field at fault.
func validationFault(err error) error {
	var fields []fault.FieldError
	collectFields(err, "", &fields)
	if len(fields) == 0 {
		fields = []fault.FieldError{{Field: "request", Message: "does not match the API contract"}}
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &fault.Error{Kind: fault.Invalid, Message: "invalid request: " + strings.Join(parts, "; "), Fields: fields}
}

func collectFields(err error, field string, out *[]fault.FieldError) {
	// Direct type checks, outermost first: a RequestError wraps a MultiError of schema errors,
	// and errors.As would skip the RequestError that names the parameter.
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, inner := range e {
			collectFields(inner, field, out)
		}
	case *openapi3filter.RequestError:
		switch {
		case e.Parameter != nil:
			field = e.Parameter.Name
		case e.RequestBody != nil:
			field = "body"
		}
		if e.Err == nil {
			*out = append(*out, fault.FieldError{Field: field, Message: e.Reason})
			return
		}
		collectFields(e.Err, field, out)
	case *openapi3.SchemaError:
		path := e.JSONPointer()
		if m := missingProperty.FindStringSubmatch(e.Reason); m != nil && (len(path) == 0 || path[len(path)-1] != m[1]) {
			path = append(path, m[1])
		}
		f := field
		if len(path) > 0 {
			if f == "body" {
				f = ""
			} else if f != "" {
				f += "."
			}
			f += strings.Join(path, ".")
		}
		*out = append(*out, fault.FieldError{Field: f, Message: e.Reason})
	case *openapi3filter.ParseError:
		msg := e.Reason
		if msg == "" {
			msg = "cannot be parsed"
		}
		*out = append(*out, fault.FieldError{Field: field, Message: msg})
	default:
		if next := errors.Unwrap(err); next != nil {
			collectFields(next, field, out)
			return
		}
		if field == "" {
			field = "request"
		}
		*out = append(*out, fault.FieldError{Field: field, Message: err.Error()})
	}
}
