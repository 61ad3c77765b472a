package testserver

import (
	"regexp"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

var hexPattern = regexp.MustCompile(`^\^\[0-9a-f\]\{64\}\$$`)

// Example builds a value from a schema: its example, default or first enum value, else one of
// its type within its limits, for tests driven by the contract.
func Example(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 6 {
		return nil
	}
	s := ref.Value
	if s.Example != nil {
		return s.Example
	}
	if s.Default != nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if len(s.AllOf) > 0 {
		out := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := Example(part, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	}
	if len(s.OneOf) > 0 {
		return Example(s.OneOf[0], depth+1)
	}
	switch {
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("array"):
		n := max(int(s.MinItems), 1)
		out := make([]any, n)
		for i := range out {
			out[i] = Example(s.Items, depth+1)
		}
		return out
	case s.Type.Is("object") || len(s.Properties) > 0:
		out := map[string]any{}
		for name, prop := range s.Properties {
			out[name] = Example(prop, depth+1)
		}
		return out
	case s.Format == "date-time":
		return time.Now().UTC().Format(time.RFC3339)
	case s.Format == "email":
		return "someone@example.com"
	case hexPattern.MatchString(s.Pattern):
		return strings.Repeat("ab", 32)
	}
	return "abc"
}
