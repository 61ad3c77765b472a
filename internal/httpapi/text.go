package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// checkURLText refuses input that no text column can hold: invalid UTF-8 or the NUL
// character, in the path, the query or the X-App-Key header. PostgreSQL refuses both, so they
// must stop here as the caller's error rather than fail deep inside as the server's; and before
// authentication, which looks the app named by appId or X-App-Key up.
func checkURLText(r *http.Request, query url.Values) error {
	if !storable(r.URL.Path) {
		return fault.InvalidField("path", "must be UTF-8 text without NUL characters")
	}
	for name, values := range query {
		for _, v := range values {
			if !storable(v) || !storable(name) {
				return fault.InvalidField(name, "must be UTF-8 text without NUL characters")
			}
		}
	}
	if !storable(r.Header.Get("X-App-Key")) {
		return fault.InvalidField("X-App-Key", "must be UTF-8 text without NUL characters")
	}
	return nil
}

// checkBodyText refuses a JSON body that carries the NUL character, for the reason of
// checkURLText (invalid UTF-8 in a body is the JSON decoder's to refuse).
func checkBodyText(r *http.Request, readBody bool) error {
	if !readBody || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyReadFault(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if jsonHasNUL(body) {
		return fault.InvalidField("body", "text must not contain the NUL character (\\u0000)")
	}
	return nil
}

func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// jsonHasNUL finds a \u0000 escape in a JSON text: one preceded by an odd number of
// backslashes (an even number is an escaped backslash followed by the letters "u0000").
func jsonHasNUL(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		k := i + j
		n := 0
		for p := k - 1; p >= 0 && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = k + 5
	}
}
