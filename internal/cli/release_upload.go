package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/xuqmgroup/xuqm/internal/auth"
)

// releaseClient talks to the update routes as a CI job does: plain HTTP, the envelope read by
// hand (the generated client belongs to internal/httpapi).
type releaseClient struct {
	req *releaseRequest
	env Environment
}

type envelope struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type releaseInfo struct {
	ID             int64  `json:"id"`
	Status         string `json:"status"`
	RolloutPercent int    `json:"rolloutPercent"`
	Sha256         string `json:"sha256"`
	Size           int64  `json:"size"`
	VersionCode    int64  `json:"versionCode"`
	VersionName    string `json:"versionName"`
	Version        string `json:"version"`
	ModuleID       string `json:"moduleId"`
	Platform       string `json:"platform"`
}

func (c *releaseClient) uploadPath() string {
	if c.req.kind == "apk" {
		return "/api/v1/updates/app/upload"
	}
	return "/api/v1/rn/upload"
}

func (c *releaseClient) publishPath(id int64) string {
	if c.req.kind == "apk" {
		return fmt.Sprintf("/api/v1/updates/app/%d/publish", id)
	}
	return fmt.Sprintf("/api/v1/rn/%d/publish", id)
}

// writeForm writes the multipart body: the fields, then the file (the server wants it last).
func (c *releaseClient) writeForm(w io.Writer, boundary string) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(boundary); err != nil {
		return err
	}
	for _, f := range c.req.fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			return err
		}
	}
	part, err := mw.CreateFormFile("file", filepath.Base(c.req.file))
	if err != nil {
		return err
	}
	file, err := os.Open(c.req.file)
	if err != nil {
		return err
	}
	defer file.Close()
	if _, err := io.Copy(part, file); err != nil {
		return err
	}
	return mw.Close()
}

// upload sends the file and answers the new release's id and a line that describes it. The
// body is written twice, first to hash and count it (the signature covers the whole body and
// the progress needs its size), then to the server, so that a large APK is never in memory.
func (c *releaseClient) upload(ctx context.Context) (int64, string, error) {
	boundary := auth.RandomHex(16)
	hash := sha256.New()
	var size counter
	if err := c.writeForm(io.MultiWriter(hash, &size), boundary); err != nil {
		return 0, "", fmt.Errorf("read %s: %w", c.req.file, err)
	}
	body, pw := io.Pipe()
	go func() { pw.CloseWithError(c.writeForm(pw, boundary)) }()
	progress := c.newProgress(int64(size))
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.req.server+c.uploadPath(), io.TeeReader(body, progress))
	if err != nil {
		body.Close()
		return 0, "", err
	}
	httpReq.ContentLength = int64(size)
	httpReq.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	c.authorize(httpReq, hex.EncodeToString(hash.Sum(nil)))
	var info releaseInfo
	err = c.call(httpReq, &info)
	body.Close()
	progress.done(err == nil)
	if err != nil {
		return 0, "", err
	}
	what := fmt.Sprintf("%s version %d (%s)", info.Platform, info.VersionCode, info.VersionName)
	if c.req.kind == "rn" {
		what = fmt.Sprintf("%s bundle %s %s", info.Platform, info.ModuleID, info.Version)
	}
	return info.ID, fmt.Sprintf("uploaded %s of %s as release %d (%s, %d bytes, sha256 %s)", what, c.req.app, info.ID, info.Status, info.Size, info.Sha256), nil
}

func (c *releaseClient) publishRelease(ctx context.Context, id int64) (int, error) {
	body := []byte("{}")
	if c.req.rollout >= 0 {
		body = []byte(`{"rolloutPercent":` + strconv.Itoa(c.req.rollout) + `}`)
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.req.server+c.publishPath(id), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	httpReq.Header.Set("Content-Type", "application/json")
	c.authorize(httpReq, auth.HashBody(body))
	var info releaseInfo
	if err := c.call(httpReq, &info); err != nil {
		return 0, fmt.Errorf("publish release %d: %w", id, err)
	}
	return info.RolloutPercent, nil
}

// authorize signs the request with the UPDATE key (the contract's app-server signature), or sets
// the tenant token.
func (c *releaseClient) authorize(r *http.Request, bodyHash string) {
	if c.req.token != "" {
		r.Header.Set("Authorization", "Bearer "+c.req.token)
		return
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	nonce := auth.RandomHex(12)
	r.Header.Set("X-App-Key", c.req.app)
	r.Header.Set("X-App-Timestamp", ts)
	r.Header.Set("X-App-Nonce", nonce)
	r.Header.Set("X-App-Signature", auth.Sign(c.req.key, auth.SignedRequest{
		Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Timestamp: ts, Nonce: nonce, BodyHash: bodyHash,
	}))
}

// call sends the request and decodes the envelope's data into out, or explains the failure.
func (c *releaseClient) call(r *http.Request, out any) error {
	resp, err := (&http.Client{Timeout: 0}).Do(r)
	if err != nil {
		return fmt.Errorf("the server %s could not be reached: %w", c.req.server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", r.URL.Path, err)
	}
	var env envelope
	if json.Unmarshal(raw, &env) != nil || env.Code == 0 {
		return fmt.Errorf("%s answered %s, not the API's envelope: %.200s (is --server right?)", r.URL.Path, resp.Status, raw)
	}
	if resp.StatusCode == http.StatusOK {
		return json.Unmarshal(env.Data, out)
	}
	return c.explain(resp.StatusCode, env.Message)
}

func (c *releaseClient) explain(code int, message string) error {
	switch code {
	case http.StatusConflict:
		version := c.field("versionCode")
		if c.req.kind == "rn" {
			version = c.field("moduleId") + " " + c.field("version")
		}
		return fmt.Errorf("the app %s already has version %s for %s (409: %s); give the release a new version", c.req.app, version, c.field("platform"), message)
	case http.StatusUnauthorized:
		if c.req.key != "" {
			return fmt.Errorf("the server refused the signature (401: %s); check that --key is the UPDATE service key of %s (regenerate-key rotates it) and that this machine's clock is right", message, c.req.app)
		}
		return fmt.Errorf("the server refused the token (401: %s); log in again for a fresh tenant token", message)
	case http.StatusForbidden:
		return fmt.Errorf("not allowed (403: %s); the UPDATE service of %s may be off, or the token's account may not manage this app", message, c.req.app)
	case http.StatusNotFound:
		return fmt.Errorf("not found (404: %s); check --app and --server", message)
	case http.StatusRequestEntityTooLarge:
		return fmt.Errorf("the file is too large for the server (413: %s)", message)
	}
	return fmt.Errorf("the server answered %d: %s", code, message)
}

func (c *releaseClient) field(name string) string {
	for _, f := range c.req.fields {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

type counter int64

func (n *counter) Write(p []byte) (int, error) {
	*n += counter(len(p))
	return len(p), nil
}

// progress shows the upload: a bar on a terminal, a line per tenth otherwise (CI logs).
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	name  string
	total int64
	sent  int64
	shown int64 // tenths already reported as lines
}

func (c *releaseClient) newProgress(total int64) *progress {
	p := &progress{w: c.env.Stderr, name: filepath.Base(c.req.file), total: total}
	bar := c.req.progress == "bar"
	if c.req.progress == "auto" {
		f, ok := c.env.Stderr.(*os.File)
		bar = ok && term.IsTerminal(int(f.Fd()))
	}
	if bar {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(c.env.Stderr),
			progressbar.OptionSetDescription("uploading "+p.name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.env.Stderr) }),
		)
	} else {
		fmt.Fprintf(p.w, "uploading %s (%d bytes)\n", p.name, total)
	}
	return p
}

func (p *progress) Write(b []byte) (int, error) {
	p.sent += int64(len(b))
	if p.bar != nil {
		_ = p.bar.Add64(int64(len(b)))
		return len(b), nil
	}
	for p.total > 0 && p.shown < 10 && p.sent*10 >= (p.shown+1)*p.total {
		p.shown++
		fmt.Fprintf(p.w, "uploading %s: %d%% (%d of %d bytes)\n", p.name, p.shown*10, min(p.sent, p.total), p.total)
	}
	return len(b), nil
}

func (p *progress) done(ok bool) {
	if p.bar != nil {
		if ok {
			_ = p.bar.Finish()
		} else {
			_ = p.bar.Exit()
		}
	}
}
