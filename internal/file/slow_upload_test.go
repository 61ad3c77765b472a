package file_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/testserver"
)

// slowReader hands out its bytes a chunk at a time with a pause before each.
type slowReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), s.chunk)])
}

// An upload is a transfer: it may take longer than the read timeout of ordinary requests.
func TestUploadOutlivesTheReadTimeout(t *testing.T) {
	w := newWorld(t, map[string]string{"XUQM_READ_TIMEOUT": "1s"})
	data := bytes.Repeat([]byte("slow upload "), 4096)
	ct, body := multipartBody(t, "file", "slow.txt", data)
	// About 2.5 s in all, against a read timeout of 1 s.
	slow := &slowReader{r: body, chunk: body.Len()/10 + 1, pause: 250 * time.Millisecond}
	resp, err := w.Client.UploadFileWithBodyWithResponse(context.Background(), &api.UploadFileParams{AppId: w.appKey}, ct, slow, testserver.Bearer(w.alice))
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil || resp.JSON200.Data.Size != int64(len(data)) {
		t.Fatalf("a slow upload under XUQM_READ_TIMEOUT=1s: %d %s", resp.StatusCode(), resp.Body)
	}
}
