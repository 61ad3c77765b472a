package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/internal/blob"
)

// immutable is the Cache-Control of content-addressed responses: their URL never changes its bytes.
const immutable = "public, max-age=31536000, immutable"

// download is a binary response (file, thumbnail, APK, bundle) served by http.ServeContent, which
// answers If-None-Match with 304, one byte range with 206 and HEAD without a body. It implements
// the Visit…Response methods of every binary operation.
type download struct {
	r           *http.Request
	obj         blob.Object
	contentType string
	etag        string    // quoted
	modTime     time.Time // Last-Modified; zero sends none
	ranges      bool      // honour Range (files, APKs, bundles; not thumbnails)
	header      map[string]string
}

func (d download) serve(w http.ResponseWriter) error {
	defer d.obj.Close()
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	// Stored bytes are served as the type they were recorded with, never as what a browser
	// would guess from them.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", d.etag)
	if d.ranges {
		h.Set("Accept-Ranges", "bytes")
	}
	for k, v := range d.header {
		h.Set(k, v)
	}
	r := d.r
	want := r.Header.Get("Range")
	if got := servedRange(want, d.obj.Size(), d.ranges && r.Method == http.MethodGet); got != want {
		r = r.Clone(r.Context())
		if got == "" {
			r.Header.Del("Range")
		} else {
			r.Header.Set("Range", got)
		}
	}
	// Write errors mean the client went away; the response has begun and cannot change.
	http.ServeContent(&rangeErrorWriter{ResponseWriter: w, size: d.obj.Size()}, r, "", d.modTime, d.obj)
	return nil
}

// servedRange is the Range header ServeContent is to see: the client's single byte range; none
// (the whole file) for several ranges, a header that is not a byte range, or a range that is
// reversed; and "bytes=<size>-" (416) for the empty suffix range "-0", which ServeContent would
// turn into a nonsensical 206.
func servedRange(h string, size int64, honoured bool) string {
	if h == "" || !honoured {
		return ""
	}
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return ""
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return ""
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, err := strconv.ParseUint(last, 10, 63)
		switch {
		case err != nil:
			return ""
		case n == 0:
			return "bytes=" + strconv.FormatInt(size, 10) + "-"
		}
		return h
	}
	a, err := strconv.ParseUint(first, 10, 63)
	if err != nil {
		return ""
	}
	if last != "" {
		if b, err := strconv.ParseUint(last, 10, 63); err != nil || b < a {
			return ""
		}
	}
	return h
}

// rangeErrorWriter turns ServeContent's plain-text 416 into the envelope the contract promises,
// keeping its Content-Range: bytes */<size>.
type rangeErrorWriter struct {
	http.ResponseWriter
	size    int64
	swallow bool
}

func (w *rangeErrorWriter) WriteHeader(code int) {
	if code != http.StatusRequestedRangeNotSatisfiable {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.swallow = true
	h := w.Header()
	h.Del("Content-Length")
	h.Del("X-Content-Type-Options")
	h.Set("Content-Range", "bytes */"+strconv.FormatInt(w.size, 10))
	writeEnvelope(w.ResponseWriter, code, nil,
		"the range starts past the end of the file ("+strconv.FormatInt(w.size, 10)+" bytes)")
}

func (w *rangeErrorWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *rangeErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// contentDisposition is a Content-Disposition header with a file name made safe: a plain ASCII
// fallback in filename (RFC 6266) and, when the name is not plain ASCII, the exact name in
// filename* (RFC 8187).
func contentDisposition(kind, name string) string {
	var fallback strings.Builder
	plain := true
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			fallback.WriteByte('_')
			plain = false
			continue
		}
		fallback.WriteRune(r)
	}
	v := kind + `; filename="` + fallback.String() + `"`
	if !plain {
		v += "; filename*=UTF-8''" + encodeExtValue(name)
	}
	return v
}

// encodeExtValue percent-encodes every byte of s but RFC 8187's attr-char.
func encodeExtValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// baseURL is the scheme and host of absolute URLs in responses: XUQM_PUBLIC_URL when set,
// otherwise the request's own (honouring X-Forwarded-Proto and X-Forwarded-Host).
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := r.Host
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" {
		host, _, _ = strings.Cut(fh, ",")
		host = strings.TrimSpace(host)
	}
	return scheme + "://" + host
}
