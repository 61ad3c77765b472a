package httpapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/xuqmgroup/xuqm/internal/update"
)

// acceptsBsdiff tells whether an A-IM header (RFC 3229: instance manipulations, each with an
// optional ;q=) accepts bsdiff.
func acceptsBsdiff(aim *string) bool {
	if aim == nil {
		return false
	}
	for _, item := range strings.Split(*aim, ",") {
		name, params, _ := strings.Cut(item, ";")
		if !strings.EqualFold(strings.TrimSpace(name), "bsdiff") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(strings.ToLower(params), " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// bsdiffPatch answers an asset request with a patch: 226 IM Used.
type bsdiffPatch struct {
	patch update.ExpoPatch
	etag  string // the target's, quoted
}

func (b bsdiffPatch) VisitDownloadExpoAssetResponse(w http.ResponseWriter) error {
	defer b.patch.Object.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.FormatInt(b.patch.Object.Size(), 10))
	h.Set("ETag", b.etag)
	h.Set("IM", "bsdiff")
	h.Set("expo-base-update-id", b.patch.BaseUpdateID)
	h.Set("Delta-Base", `"`+b.patch.BaseHash+`"`)
	// A patch fits one base only: no cache may hand it to another client.
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "A-IM, Expo-Current-Update-ID")
	w.WriteHeader(http.StatusIMUsed)
	// Write errors mean the client went away; the response has begun and cannot change.
	_, _ = io.Copy(w, b.patch.Object)
	return nil
}
