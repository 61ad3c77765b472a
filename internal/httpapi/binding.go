package httpapi

import (
	"errors"
	"net/http"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// bindingError answers a parameter the generated code could not bind; the gate's validation
// catches nearly all of them first, so this is the last line, still in the envelope.
func bindingError(w http.ResponseWriter, r *http.Request, err error) {
	var (
		format   *api.InvalidParamFormatError
		required *api.RequiredParamError
		header   *api.RequiredHeaderError
		many     *api.TooManyValuesForParamError
	)
	switch {
	case errors.As(err, &format):
		err = fault.InvalidField(format.ParamName, "has an invalid format")
	case errors.As(err, &required):
		err = fault.InvalidField(required.ParamName, "is required")
	case errors.As(err, &header):
		err = fault.InvalidField(header.ParamName, "header is required")
	case errors.As(err, &many):
		err = fault.InvalidField(many.ParamName, "takes one value")
	default:
		err = fault.Invalidf("invalid request parameters")
	}
	writeError(w, r, err)
}
