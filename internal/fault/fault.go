// Package fault is the small error vocabulary that services speak. A service returns a *Error
// whose Message is safe to show to a client; its Kind has one status (Kind.Status), the same
// in an HTTP response and in a WebSocket error frame, and Err is the cause a client never sees.
package fault

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is what went wrong, from the caller's point of view.
type Kind int

// The kinds, each with one HTTP status (Kind.Status).
const (
	Internal Kind = iota
	Invalid
	Unauthorized
	Forbidden
	NotFound
	Conflict
	TooLarge
	Unsupported
	RateLimited
	NotImplemented
	// Unavailable is a server that is shutting down (draining): the caller retries, on
	// another instance or once this one is back.
	Unavailable
)

var kindNames = [...]string{"internal", "invalid", "unauthorized", "forbidden", "not found", "conflict", "too large", "unsupported", "rate limited", "not implemented", "unavailable"}

var kindStatus = [...]int{500, 400, 401, 403, 404, 409, 413, 415, 429, 501, 503}

// Status is the HTTP status of the kind: the code of the HTTP error envelope and of the
// WebSocket error frame alike; an unknown kind is 500.
func (k Kind) Status() int {
	if k >= 0 && int(k) < len(kindStatus) {
		return kindStatus[k]
	}
	return 500
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError names one input at fault.
type FieldError struct {
	Field   string
	Message string
}

// Error is an outcome a client should be told about.
type Error struct {
	Kind    Kind
	Message string       // a sentence a developer can act on
	Fields  []FieldError // Invalid only: the inputs at fault
	// RetryAfter tells a RateLimited caller when to come back.
	RetryAfter time.Duration
	Err        error // the cause, for the log only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Kind.String() + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Kind.String() + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func newf(k Kind, format string, args []any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Invalidf reports bad input.
func Invalidf(format string, args ...any) *Error { return newf(Invalid, format, args) }

// InvalidField reports one bad input by name.
func InvalidField(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: Invalid, Message: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// InvalidForm reports every bad input of a form at once; nil when fields is empty.
func InvalidForm(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	parts := make([]string, len(fields))
	for i, e := range fields {
		parts[i] = e.Field + ": " + e.Message
	}
	return &Error{Kind: Invalid, Message: "invalid form: " + strings.Join(parts, "; "), Fields: fields}
}

// Unauthorizedf reports a missing, invalid or expired credential.
func Unauthorizedf(format string, args ...any) *Error { return newf(Unauthorized, format, args) }

// Forbiddenf reports a known caller that may not do this.
func Forbiddenf(format string, args ...any) *Error { return newf(Forbidden, format, args) }

// NotFoundf reports a resource that does not exist, or that the caller may not know of.
func NotFoundf(format string, args ...any) *Error { return newf(NotFound, format, args) }

// Conflictf reports a resource that exists already or a state that forbids the change.
func Conflictf(format string, args ...any) *Error { return newf(Conflict, format, args) }

// TooLargef reports an upload or body over its limit.
func TooLargef(format string, args ...any) *Error { return newf(TooLarge, format, args) }

// Unsupportedf reports content of a type the route does not handle.
func Unsupportedf(format string, args ...any) *Error { return newf(Unsupported, format, args) }

// RateLimitedf reports a caller over its limit.
func RateLimitedf(retryAfter time.Duration, format string, args ...any) *Error {
	e := newf(RateLimited, format, args)
	e.RetryAfter = retryAfter
	return e
}

// Unavailablef reports a server that is shutting down; the caller retries after retryAfter.
func Unavailablef(retryAfter time.Duration, format string, args ...any) *Error {
	e := newf(Unavailable, format, args)
	e.RetryAfter = retryAfter
	return e
}

// NotBuilt is the answer of an operation the contract marks as not built yet (x-unbuilt), why
// being the mark: the issue that builds it.
func NotBuilt(operation, why string) *Error {
	return &Error{Kind: NotImplemented, Message: "this route (" + operation + ") is not built yet: " + why}
}

// Wrap reports an unexpected failure; the client sees only that it happened.
func Wrap(err error, context string) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	return &Error{Kind: Internal, Message: "internal error", Err: fmt.Errorf("%s: %w", context, err)}
}

// As returns the *Error in err's chain; anything else is Internal.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Kind: Internal, Message: "internal error", Err: err}
}

// Is tells whether err is a *Error of kind k.
func Is(err error, k Kind) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Kind == k
}
