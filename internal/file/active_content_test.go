package file_test

import (
	"strings"
	"testing"
)

// An upload that a browser could run (HTML named avatar.png, an SVG with a script) is served
// with nosniff, as an attachment and under a sandbox; an image stays inline.
func TestActiveContentIsNotServedInline(t *testing.T) {
	w := newWorld(t, nil)
	for _, tc := range []struct {
		name, data string
		inline     bool
	}{
		{"avatar.png", "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>", false},
		{"logo.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, false},
		{"photo.jpg", string(jpegOf(t, 4, 4)), true},
	} {
		up := w.upload(t, w.alice, w.appKey, tc.name, []byte(tc.data))
		if up.JSON200 == nil {
			t.Fatalf("upload %s: %d %s", tc.name, up.StatusCode(), up.Body)
		}
		for _, method := range []string{"GET", "HEAD"} {
			resp, _ := w.Fetch(t, method, "/api/file/"+up.JSON200.Data.Hash, nil)
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s %s (%s): %d nosniff %q CSP %q", method, tc.name, up.JSON200.Data.ContentType, resp.StatusCode,
					h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
			}
			wantKind := "attachment;"
			if tc.inline {
				wantKind = "inline;"
			}
			if d := h.Get("Content-Disposition"); !strings.HasPrefix(d, wantKind) {
				t.Errorf("%s %s (%s): Content-Disposition %q, want %s", method, tc.name, up.JSON200.Data.ContentType, d, wantKind)
			}
		}
	}
}
