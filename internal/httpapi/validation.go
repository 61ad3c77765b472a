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
	var multi openapi3.MultiError
	var reqErr *openapi3filter.RequestError
	var schemaErr *openapi3.SchemaError
	var parseErr *openapi3filter.ParseError
	switch {
	case errors.As(err, &multi):
		for _, e := range multi {
			collectFields(e, field, out)
		}
	case errors.As(err, &reqErr):
		switch {
		case reqErr.Parameter != nil:
			field = reqErr.Parameter.Name
		case reqErr.RequestBody != nil:
			field = "body"
		}
		if reqErr.Err == nil {
			*out = append(*out, fault.FieldError{Field: field, Message: reqErr.Reason})
			return
		}
		if _, nested := reqErr.Err.(openapi3.MultiError); !nested && !errors.As(reqErr.Err, &schemaErr) && !errors.As(reqErr.Err, &parseErr) {
			msg := reqErr.Reason
			if msg == "" {
				msg = reqErr.Err.Error()
			}
			*out = append(*out, fault.FieldError{Field: field, Message: msg})
			return
		}
		collectFields(reqErr.Err, field, out)
	case errors.As(err, &schemaErr):
		path := schemaErr.JSONPointer()
		if m := missingProperty.FindStringSubmatch(schemaErr.Reason); m != nil {
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
		*out = append(*out, fault.FieldError{Field: f, Message: schemaErr.Reason})
	case errors.As(err, &parseErr):
		msg := parseErr.Reason
		if msg == "" {
			msg = "cannot be parsed"
		}
		*out = append(*out, fault.FieldError{Field: field, Message: msg})
	default:
		*out = append(*out, fault.FieldError{Field: field, Message: err.Error()})
	}
}
