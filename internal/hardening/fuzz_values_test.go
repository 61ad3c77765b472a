package hardening_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// The classes of fuzz calls, as the closing log counts them.
const (
	classValid       = "valid"
	classBoundary    = "boundary"
	classWrongType   = "wrong-type"
	classHuge        = "huge"
	classDeep        = "deep-json"
	classBadText     = "bad-utf8-nul"
	classPathTrick   = "path-trick"
	classPaging      = "paging"
	classMissing     = "missing-required"
	classExtra       = "extra-fields"
	classContentType = "content-type"
	classEmptyBody   = "empty-body"
	classMalformed   = "malformed-json"
)

// A JSON body cannot carry invalid UTF-8 or raw bytes through encoding/json (it repairs them),
// so a mutation puts a marker string in the value and the encoded body gets the raw bytes in
// its place.
const rawMarker = "\u0001fuzz-raw\u0001"

var (
	markerJSON = mustJSON(rawMarker)[1 : len(mustJSON(rawMarker))-1] // the marker as encoded inside quotes
	// deepArrays and deepObjects are 10,000 levels of nesting, the depth that encoding/json
	// refuses one level past.
	deepArrays  = strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepObjects = strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	hugeString  = strings.Repeat("z", 1<<20)
	// a query value or path segment this long still fits in Go's 1 MiB header limit, which
	// the net/http server answers before any handler can (431 in plain text).
	longID = strings.Repeat("9", 20000)
)

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// mutation is one way to spoil a value: the value itself (for a parameter, its text) and, for a
// body, raw JSON text to splice in place of rawMarker.
type mutation struct {
	class, label string
	value        any
	raw          string
}

// pathTricks are ids and names that try to walk out of their place.
var pathTricks = []mutation{
	{classPathTrick, "dot-dot", "../../../etc/passwd", ""},
	{classPathTrick, "encoded dot-dot", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", ""},
	{classPathTrick, "encoded slash", "a%2Fb", ""},
	{classPathTrick, "dot", ".", ""},
	{classPathTrick, "double dot", "..", ""},
	{classPathTrick, "backslash", `..\..\windows`, ""},
	{classPathTrick, "very long id", longID, ""},
	{classPathTrick, "unicode", "用户😀\u202eevil", ""},
	{classPathTrick, "sql", "1' OR '1'='1", ""},
}

// jsonTexts are strings that hold JSON of every shape, for the string fields that carry a JSON
// document (a message's content): nothing, the wrong shape, wrong field types, deep nesting.
var jsonTexts = []string{
	"", "{}", "[]", "null", "1", `"x"`, "{", `{"url":null,"duration":-1,"size":-1}`,
	`{"url":"` + strings.Repeat("u", 70000) + `"}`, `{"latitude":1e400,"longitude":"x"}`,
	`{"messageId":"99999999999999999999","quotedMsgId":"-1","messageIds":["a",null,{}]}`,
	`{"callId":{},"status":[],"title":1,"text":null}`, `{"type":"doc","content":` + strings.Repeat(`[{"content":`, 3000) + "1" + strings.Repeat("}]", 3000) + "}",
	strings.Repeat("[", 9990) + strings.Repeat("]", 9990), `{"url":"\u0000"}`,
}

// headerTexts are the values of the download headers that a server must parse with care.
var headerTexts = map[string][]string{
	"Range": {"bytes=5-2", "bytes=-0", "bytes=0-", "bytes=99999999999999999999-", "bytes=-99999999999999999999",
		strings.Repeat("bytes=0-0,", 1) + strings.TrimSuffix(strings.Repeat("0-0,", 500), ","), "items=0-1", "bytes=1-1,0-0", "bytes= 0-1", "bytes=9223372036854775807-9223372036854775807"},
	"If-None-Match": {"*", `W/"x"`, strings.TrimSuffix(strings.Repeat(`"a",`, 1000), ","), `"unterminated`},
}

// timeTexts are times that a parser or PostgreSQL may take badly: out of range, impossible
// dates, zones past ±14 h, PostgreSQL's special words.
var timeTexts = []string{"2026-02-30T00:00:00", "0001-01-01T00:00:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00",
	"294277-01-01T00:00:00Z", "-infinity", "infinity", "epoch", "now", "2026-04-27", "2026-04-27T00:00:00+25:00",
	"2026-04-27 00:00:00", "1e10", "2026-04-27T24:00:00", "2026-04-27T00:00:00.9999999999Z"}

// textMutations are the bytes no text column holds.
var textMutations = []mutation{
	{classBadText, "invalid UTF-8", rawMarker, "\xff\xfe\xfd"},
	{classBadText, "NUL escape", "a\x00b", ""},
	{classBadText, "raw NUL byte", rawMarker, "a\x00b"},
	{classBadText, "lone surrogate", rawMarker, `\ud800`},
}

// boundaries are the values at and just past a schema's limits.
func boundaries(s *openapi3.Schema) []mutation {
	var out []mutation
	add := func(label string, v any) { out = append(out, mutation{class: classBoundary, label: label, value: v}) }
	switch {
	case s.Type.Is("string") && len(s.Enum) == 0:
		if s.MinLength > 0 {
			add("minLength-1", strings.Repeat("a", int(s.MinLength)-1))
		}
		if s.MaxLength != nil && *s.MaxLength < 1<<20 {
			add("maxLength", strings.Repeat("a", int(*s.MaxLength)))
			add("maxLength+1", strings.Repeat("a", int(*s.MaxLength)+1))
		}
		add("empty", "")
	case s.Type.Is("string"):
		add("not in enum", "NOT_A_MEMBER")
		add("enum in lower case", strings.ToLower(fmt.Sprint(s.Enum[0])))
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			add("minimum", *s.Min)
			add("minimum-1", *s.Min-1)
		}
		if s.Max != nil {
			add("maximum", *s.Max)
			add("maximum+1", *s.Max+1)
		}
		add("zero", 0)
		add("-1", -1)
		add("int64 max", int64(math.MaxInt64))
		add("past int64", json.Number("99999999999999999999"))
		add("huge exponent", json.Number("1e400"))
		add("fraction", 1.5)
	case s.Type.Is("array"):
		if s.MinItems > 0 {
			add("minItems-1", make([]any, s.MinItems-1))
		}
		if s.MaxItems != nil && *s.MaxItems < 100000 {
			n := int(*s.MaxItems) + 1
			items := make([]any, n)
			for i := range items {
				items[i] = fmt.Sprintf("item%d", i)
			}
			add("maxItems+1", items)
		}
		add("empty array", []any{})
		add("10,000 items", slices.Repeat([]any{"x"}, 10000))
	}
	return out
}

// wrongTypes are values of every type but the schema's.
func wrongTypes(s *openapi3.Schema) []mutation {
	var out []mutation
	add := func(label string, v any) { out = append(out, mutation{class: classWrongType, label: label, value: v}) }
	add("null", nil)
	if !s.Type.Is("string") {
		add("string", "not-a-"+typeName(s))
	}
	if !s.Type.Is("integer") && !s.Type.Is("number") {
		add("number", 12345)
	}
	if !s.Type.Is("boolean") {
		add("boolean", true)
	}
	if !s.Type.Is("array") {
		add("array", []any{"a", 1})
	}
	if !s.Type.Is("object") {
		add("object", map[string]any{"a": 1})
	}
	return out
}

// paramWrongTypes are texts that no integer, boolean or enum parameter reads.
func paramWrongTypes(s *openapi3.Schema) []mutation {
	var out []mutation
	add := func(label, v string) { out = append(out, mutation{class: classWrongType, label: label, value: v}) }
	switch {
	case s.Type.Is("integer"), s.Type.Is("number"):
		add("letters", "abc")
		add("fraction", "1.5")
		add("hex", "0x10")
		add("exponent", "1e3")
		add("past int64", "99999999999999999999")
	case s.Type.Is("boolean"):
		add("not a boolean", "maybe")
		add("number", "2")
	default:
		add("object syntax", `{"a":1}`)
	}
	add("empty", "")
	return out
}

func typeName(s *openapi3.Schema) string {
	if s.Type == nil || len(*s.Type) == 0 {
		return "any"
	}
	return (*s.Type)[0]
}

// paging is the page and size parameters' attacks, the cap of 100 (internal/page) included.
var paging = map[string][]mutation{
	"page": {{classPaging, "page=-1", "-1", ""}, {classPaging, "page=2^31", "2147483648", ""}, {classPaging, "page=int64 max", "9223372036854775807", ""}},
	"size": {{classPaging, "size=0", "0", ""}, {classPaging, "size=1", "1", ""}, {classPaging, "size=1000", "1000", ""}, {classPaging, "size=-1", "-1", ""}},
}

// validValue is a value the schema accepts: the example generator's, or a random one of the
// type within its limits when nothing in the schema constrains its text.
func validValue(ref *openapi3.SchemaRef, rnd *rand.Rand) any {
	s := ref.Value
	if s == nil {
		return nil
	}
	switch {
	case len(s.Enum) > 0:
		return s.Enum[rnd.IntN(len(s.Enum))]
	case s.Type.Is("integer") && s.Example == nil:
		lo, hi := 0.0, 1000.0
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		if hi < lo {
			hi = lo
		}
		return int64(lo) + rnd.Int64N(int64(hi-lo)+1)
	case s.Type.Is("boolean"):
		return rnd.IntN(2) == 0
	case s.Type.Is("string") && s.Pattern == "" && s.Format == "" && s.Example == nil:
		n := max(int(s.MinLength), 1+rnd.IntN(12))
		if s.MaxLength != nil && n > int(*s.MaxLength) {
			n = int(*s.MaxLength)
		}
		const letters = "abcdefghijklmnopqrstuvwxyz你好"
		r := []rune(letters)
		var b strings.Builder
		for range n {
			b.WriteRune(r[rnd.IntN(len(r))])
		}
		return b.String()
	}
	return testserver.Example(ref, 0)
}

// properties are an object schema's properties and required names, allOf parts merged.
func properties(ref *openapi3.SchemaRef) (map[string]*openapi3.SchemaRef, []string) {
	props := map[string]*openapi3.SchemaRef{}
	var required []string
	if ref == nil || ref.Value == nil {
		return props, nil
	}
	for _, part := range ref.Value.AllOf {
		p, r := properties(part)
		for k, v := range p {
			props[k] = v
		}
		required = append(required, r...)
	}
	for k, v := range ref.Value.Properties {
		props[k] = v
	}
	return props, append(required, ref.Value.Required...)
}
