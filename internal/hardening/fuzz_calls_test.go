package hardening_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// fuzzCall is one request of the fuzz, built before it is sent so that it can be printed.
type fuzzCall struct {
	class, what string
	op          operation
	path        map[string]string // path parameter -> value, escaped when sent unless rawPath
	rawPath     bool
	query       url.Values
	header      map[string]string
	body        []byte // nil: none
	contentType string
	scheme      string // the credential sent: one of the operation's security schemes, or none
}

func (c fuzzCall) clone() fuzzCall {
	c.path = maps.Clone(c.path)
	c.query = url.Values(maps.Clone(map[string][]string(c.query)))
	c.header = maps.Clone(c.header)
	return c
}

// schemes are the credentials an operation accepts, in the contract's order.
func schemes(o operation) []string {
	var out []string
	if o.op.Security != nil {
		for _, req := range *o.op.Security {
			for name := range req {
				out = append(out, name)
			}
		}
	}
	return out
}

// opRand is the generator of one operation: the seed and the operationId, so that an
// operation's calls do not depend on the others'.
func opRand(seed uint64, o operation) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(o.id()))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// paramValue is a valid value of a parameter, naming the fuzz world's resources where it names one.
func (v *victims) paramValue(o operation, p *openapi3.Parameter, rnd *rand.Rand) string {
	own := attack{appKey: v.a1.key}
	switch p.Name {
	case "appId", "X-App-Key", "id", "msgId", "requestId", "groupId", "hash":
		return v.param(o.path, p, own)
	case "userId", "toId", "targetId", "toUserId", "blockedUserId", "userA":
		return "bob" // the caller is alice
	case "userB", "chatType":
		return v.param(o.path, p, own)
	case "page":
		return fmt.Sprint(rnd.IntN(3))
	case "size":
		return fmt.Sprint(1 + rnd.IntN(100))
	case "Range":
		return "bytes=0-9"
	case "If-None-Match":
		return `"0123"`
	}
	return paramText(validValue(p.Schema, rnd))
}

func paramText(x any) string {
	switch x := x.(type) {
	case nil:
		return ""
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
	}
	return fmt.Sprint(x)
}

// baseCall is a valid call of o: required parameters, a random half of the optional ones, and
// the body of the contract's example, naming the world's resources.
func (v *victims) baseCall(o operation, rnd *rand.Rand) fuzzCall {
	c := fuzzCall{class: classValid, op: o, path: map[string]string{}, query: url.Values{}, header: map[string]string{}}
	for _, pr := range o.params {
		p := pr.Value
		if p.Name == "X-App-Timestamp" || p.Name == "X-App-Nonce" {
			continue // the signer's
		}
		if !p.Required && p.In != "path" && p.Name != "appId" && p.Name != "X-App-Key" && p.Name != "chatType" && rnd.IntN(2) == 0 {
			continue
		}
		val := v.paramValue(o, p, rnd)
		switch p.In {
		case "path":
			c.path[p.Name] = val
		case "query":
			c.query.Set(p.Name, val)
		case "header":
			c.header[p.Name] = val
		}
	}
	if s := schemes(o); len(s) > 0 {
		c.scheme = s[rnd.IntN(len(s))]
	}
	if rb := o.op.RequestBody; rb != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil {
			c.body, c.contentType = []byte(mustJSON(v.exampleBody(mt))), "application/json"
		} else if mt := rb.Value.Content.Get("multipart/form-data"); mt != nil {
			c.body, c.contentType = v.form(v.formFields(mt), "file", "upload.bin")
		}
	}
	return c
}

// exampleBody is the media type's example, or one built from its schema, naming the world's
// resources.
func (v *victims) exampleBody(mt *openapi3.MediaType) any {
	var x any
	if mt.Example != nil {
		mustUnmarshal(mustJSON(mt.Example), &x) // a copy
	} else {
		mustUnmarshal(mustJSON(v.bodyFor(exampleOf(mt.Schema), attack{appKey: v.a1.key})), &x)
	}
	if m, ok := x.(map[string]any); ok {
		for k := range m {
			switch k {
			case "toId", "userId":
				m[k] = "bob"
			case "memberIds", "userIds":
				m[k] = []string{"bob", "carol"}
			case "groupId":
				m[k] = v.groupID
			case "appId":
				m[k] = v.a1.key
			case "targetBinaryRange":
				m[k] = "1.0.0"
			}
		}
	}
	return x
}

// formFields are a multipart body's text fields, from the schema's example.
func (v *victims) formFields(mt *openapi3.MediaType) map[string]string {
	out := map[string]string{}
	if m, ok := exampleOf(mt.Schema).(map[string]any); ok {
		for k, val := range m {
			if k != "file" {
				out[k] = paramText(val)
			}
		}
	}
	if _, ok := out["appId"]; ok {
		out["appId"] = v.a1.key
	}
	return out
}

// form encodes fields and a small file (none when fileField is empty) as multipart.
func (v *victims) form(fields map[string]string, fileField, fileName string) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		mw.WriteField(k, fields[k])
	}
	if fileField != "" {
		fw, _ := mw.CreateFormFile(fileField, fileName)
		fw.Write(bytes.Repeat([]byte("PK\x03\x04 fuzz bytes "), 20))
	}
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// candidates are every call the fuzz could make on o, by class; the budget picks among them.
func (v *victims) candidates(o operation, rnd *rand.Rand) map[string][]fuzzCall {
	out := map[string][]fuzzCall{}
	base := v.baseCall(o, rnd)
	add := func(class, what string, c fuzzCall) {
		c.class, c.what = class, what
		out[class] = append(out[class], c)
	}
	// Valid calls with each credential the operation takes, and with fresh random values.
	for _, s := range schemes(o) {
		c := base.clone()
		c.scheme = s
		add(classValid, "as "+s, c)
	}
	for i := range 2 {
		c := v.baseCall(o, rnd)
		add(classValid, fmt.Sprintf("random values %d", i), c)
	}
	for _, pr := range o.params {
		v.paramMutations(base, pr.Value, add)
	}
	if rb := o.op.RequestBody; rb != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil {
			v.bodyMutations(base, mt, add)
		} else if mt := rb.Value.Content.Get("multipart/form-data"); mt != nil {
			v.formMutations(base, mt, add)
		}
	} else {
		c := base.clone()
		c.body, c.contentType = []byte(`{"unexpected":"body"}`), "application/json"
		add(classExtra, "a body where none is taken", c)
		c = base.clone()
		c.body, c.contentType = []byte(deepArrays), "application/json"
		add(classDeep, "10,000 nested arrays where no body is taken", c)
	}
	return out
}

func (v *victims) paramMutations(base fuzzCall, p *openapi3.Parameter, add func(string, string, fuzzCall)) {
	if p.Name == "X-App-Timestamp" || p.Name == "X-App-Nonce" {
		return
	}
	set := func(class, what, val string, raw bool) {
		c := base.clone()
		switch p.In {
		case "path":
			c.path[p.Name], c.rawPath = val, raw
		case "query":
			c.query.Set(p.Name, val)
		case "header":
			if strings.ContainsAny(val, "\x00\r\n") || len(val) > 8000 {
				return // Go's client refuses to send it; a proxy would too
			}
			c.header[p.Name] = val
		}
		add(class, p.In+" "+p.Name+": "+what, c)
	}
	s := p.Schema.Value
	var muts []mutation
	muts = append(muts, boundaries(s)...)
	muts = append(muts, paramWrongTypes(s)...)
	muts = append(muts, paging[p.Name]...)
	if !s.Type.Is("integer") && !s.Type.Is("boolean") {
		muts = append(muts, pathTricks...)
	} else {
		muts = append(muts, pathTricks[len(pathTricks)-3:]...) // long, unicode, sql
	}
	for _, m := range muts {
		set(m.class, m.label, paramText(m.value), false)
	}
	for _, h := range headerTexts[p.Name] {
		set(classBoundary, fmt.Sprintf("%.40s", h), h, false)
	}
	if strings.HasSuffix(p.Name, "Time") || s.Format == "date-time" {
		for _, tm := range timeTexts {
			set(classBoundary, "time "+tm, tm, false)
		}
	}
	for _, m := range textMutations {
		val := paramText(m.value)
		if m.raw != "" {
			val = m.raw
		}
		set(m.class, m.label, val, false)
	}
	set(classHuge, "64 KiB", strings.Repeat("z", 64<<10), false)
	if p.In == "path" {
		for _, raw := range []string{"..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%2e%2e%2f%2e%2e%2f", "a%00b", "%ff%fe", "%25"} {
			set(classPathTrick, "raw "+raw, raw, true)
		}
	}
	if p.In == "query" {
		for _, second := range []string{"", v.a2.key, "other"} {
			c := base.clone()
			c.query[p.Name] = append(slices.Clone(c.query[p.Name]), second)
			if len(c.query[p.Name]) == 1 {
				c.query[p.Name] = []string{v.paramValue(base.op, p, rand.New(rand.NewPCG(1, 2))), second}
			}
			add(classExtra, fmt.Sprintf("query %s twice, then %q", p.Name, second), c)
		}
	}
	if p.Required && p.In != "path" {
		c := base.clone()
		c.query.Del(p.Name)
		delete(c.header, p.Name)
		add(classMissing, p.In+" "+p.Name, c)
	}
}

func (v *victims) bodyMutations(base fuzzCall, mt *openapi3.MediaType, add func(string, string, fuzzCall)) {
	body, _ := v.exampleBody(mt).(map[string]any)
	props, required := properties(mt.Schema)
	withField := func(class, what, name string, m mutation) {
		b := maps.Clone(body)
		if b == nil {
			b = map[string]any{}
		}
		b[name] = m.value
		text := mustJSON(b)
		if m.raw != "" {
			text = strings.Replace(text, markerJSON, m.raw, 1)
		}
		c := base.clone()
		c.body = []byte(text)
		add(class, "body "+name+": "+what, c)
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		s := props[name].Value
		if s == nil {
			continue
		}
		var muts []mutation
		muts = append(muts, boundaries(s)...)
		muts = append(muts, wrongTypes(s)...)
		if s.Format == "date-time" || strings.HasSuffix(name, "Time") || strings.HasSuffix(name, "At") {
			for _, tm := range timeTexts {
				muts = append(muts, mutation{classBoundary, "time " + tm, tm, ""})
			}
		}
		if s.Type.Is("string") || s.Type == nil {
			muts = append(muts, pathTricks...)
			muts = append(muts, textMutations...)
			muts = append(muts, mutation{classHuge, "1 MiB string", hugeString, ""},
				mutation{classHuge, "a string just under the body limit", hugeString[:1<<20-8<<10], ""},
				mutation{classDeep, "JSON text 10,000 arrays deep", deepArrays, ""},
				mutation{classDeep, "JSON text 10,000 objects deep", deepObjects, ""})
		}
		muts = append(muts, mutation{classDeep, "9,990 nested arrays", rawMarker, strings.Repeat("[", 9990) + strings.Repeat("]", 9990)})
		muts = append(muts, mutation{classDeep, "10,000 nested objects", rawMarker, deepObjects})
		for _, m := range muts {
			withField(m.class, m.label, name, m)
		}
	}
	// Each member of an enum field (a message's type, a platform), with the other string
	// fields spoiled: what passes the contract's schema reaches the service's own checks.
	for _, name := range slices.Sorted(maps.Keys(props)) {
		s := props[name].Value
		if s == nil || len(s.Enum) == 0 {
			continue
		}
		for _, member := range s.Enum {
			b := maps.Clone(body)
			if b == nil {
				b = map[string]any{}
			}
			b[name] = member
			c := base.clone()
			c.body = []byte(mustJSON(b))
			add(classValid, fmt.Sprintf("body %s=%v", name, member), c)
			for _, other := range slices.Sorted(maps.Keys(props)) {
				if o := props[other].Value; other == name || o == nil || !o.Type.Is("string") || len(o.Enum) > 0 {
					continue
				}
				for _, text := range jsonTexts {
					b2 := maps.Clone(b)
					b2[other] = text
					c := base.clone()
					c.body = []byte(mustJSON(b2))
					add(classWrongType, fmt.Sprintf("body %s=%v, %s=%.30s", name, member, other, text), c)
				}
			}
		}
	}
	for _, name := range required {
		b := maps.Clone(body)
		delete(b, name)
		c := base.clone()
		c.body = []byte(mustJSON(b))
		add(classMissing, "body "+name, c)
	}
	extra := map[string]any{"unknownField": "x", "__proto__": map[string]any{"admin": true}, "constructor": nil}
	for k, val := range extra {
		withField(classExtra, "extra field "+k, k, mutation{value: val})
	}
	if len(body) > 0 {
		c := base.clone()
		c.body = []byte(strings.Replace(mustJSON(body), "{", `{"dup":1,"dup":2,`, 1))
		add(classExtra, "duplicate keys", c)
	}
	whole := []struct{ class, what, body string }{
		{classEmptyBody, "empty", ""},
		{classEmptyBody, "whitespace", "  \n"},
		{classWrongType, "null", "null"},
		{classWrongType, "array", "[]"},
		{classWrongType, "string", `"text"`},
		{classWrongType, "number", "12"},
		{classDeep, "10,000 nested arrays", deepArrays},
		{classDeep, "10,000 nested objects", deepObjects},
		{classMalformed, "unterminated", `{"a":`},
		{classMalformed, "trailing data", `{} {}`},
		{classMalformed, "not JSON", "<xml/>"},
		{classMalformed, "BOM", "\ufeff{}"},
		{classHuge, "1 MiB body", `{"a":"` + hugeString + `"}`},
		{classBadText, "invalid UTF-8 key", "{\"\xff\":1}"},
	}
	for _, w := range whole {
		c := base.clone()
		c.body = []byte(w.body)
		add(w.class, "whole body: "+w.what, c)
	}
	for _, ct := range []string{"", "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/json-patch+json"} {
		c := base.clone()
		c.contentType = ct
		add(classContentType, "Content-Type "+ct, c)
	}
}

func (v *victims) formMutations(base fuzzCall, mt *openapi3.MediaType, add func(string, string, fuzzCall)) {
	fields := v.formFields(mt)
	props, required := properties(mt.Schema)
	withForm := func(class, what string, f map[string]string, fileField, fileName string) {
		c := base.clone()
		c.body, c.contentType = v.form(f, fileField, fileName)
		add(class, what, c)
	}
	for _, name := range slices.Sorted(maps.Keys(props)) {
		if name == "file" || props[name].Value == nil {
			continue
		}
		s := props[name].Value
		var muts []mutation
		muts = append(muts, boundaries(s)...)
		muts = append(muts, paramWrongTypes(s)...)
		muts = append(muts, pathTricks...)
		muts = append(muts, mutation{classHuge, "1 MiB field", hugeString, ""})
		for _, m := range textMutations {
			if m.raw != "" {
				m.value = m.raw
			}
			muts = append(muts, m)
		}
		for _, m := range muts {
			f := maps.Clone(fields)
			f[name] = paramText(m.value)
			withForm(m.class, "form "+name+": "+m.label, f, "file", "upload.bin")
		}
	}
	for _, name := range required {
		f := maps.Clone(fields)
		delete(f, name)
		file := "file"
		if name == "file" {
			file = ""
		}
		withForm(classMissing, "form "+name, f, file, "upload.bin")
	}
	for _, m := range pathTricks {
		withForm(m.class, "file name: "+m.label, fields, "file", paramText(m.value))
	}
	withForm(classBadText, "file name: invalid UTF-8", fields, "file", "\xff\xfe.apk")
	withForm(classExtra, "a second file field", maps.Clone(fields), "other", "x.bin")
	f := maps.Clone(fields)
	f["unknownField"] = "x"
	withForm(classExtra, "extra field", f, "file", "upload.bin")
	for _, w := range []struct{ class, what, ct, body string }{
		{classEmptyBody, "empty multipart", base.contentType, ""},
		{classContentType, "JSON instead of a form", "application/json", `{"appId":"x"}`},
		{classContentType, "no boundary", "multipart/form-data", string(base.body)},
		{classMalformed, "wrong boundary", "multipart/form-data; boundary=nope", string(base.body)},
		{classMalformed, "truncated form", base.contentType, string(base.body[:len(base.body)/2])},
		{classContentType, "no Content-Type", "", string(base.body)},
	} {
		c := base.clone()
		c.contentType, c.body = w.ct, []byte(w.body)
		add(w.class, w.what, c)
	}
}

// exampleOf is a copy of testserver.Example's value, so that mutations never touch the schema's.
func exampleOf(ref *openapi3.SchemaRef) any {
	var x any
	mustUnmarshal(mustJSON(testserver.Example(ref, 0)), &x)
	return x
}

// mustUnmarshal decodes JSON that mustJSON made: it cannot fail but by a bug here.
func mustUnmarshal(text string, x any) {
	if err := json.Unmarshal([]byte(text), x); err != nil {
		panic(err)
	}
}
