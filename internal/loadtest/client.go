package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/xuqmgroup/xuqm/internal/auth"
)

// Target is the server under load and the app whose users the tool logs in.
type Target struct {
	URL       string // http://127.0.0.1:8080
	AppKey    string
	AppSecret string
	HTTP      *http.Client

	dialers sync.Map // source address → *http.Client for WebSocket dials from it
}

// NewTarget checks that url is a loopback address, so that the tool never loads anything
// but the machine it runs on, and makes an HTTP client sized for many concurrent senders.
func NewTarget(rawURL, appKey, appSecret string) (*Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://host:port", rawURL)
	}
	if err := requireLoopback(u.Hostname()); err != nil {
		return nil, err
	}
	// A server that does not answer is bounded by ResponseHeaderTimeout rather than by
	// http.Client.Timeout, which arms a deadline context for every request: some 8% of the
	// tool's CPU when the senders used this client, and the update checks, thousands a
	// second, still do.
	tr := &http.Transport{
		MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 30 * time.Second,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &Target{URL: strings.TrimRight(rawURL, "/"), AppKey: appKey, AppSecret: appSecret,
		HTTP: &http.Client{Transport: tr}}, nil
}

func requireLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("host %q is not a loopback address; the load tool only loads this machine", host)
	}
	return nil
}

// envelope is every JSON answer of the server.
type envelope struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// StatusError is a non-200 answer.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Message) }

// call sends a request and decodes the envelope's data into out (when not nil).
func (t *Target) call(ctx context.Context, method, path string, body []byte, contentType string, header http.Header, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL+path, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return decodeAnswer(resp.StatusCode, raw, out)
}

// decodeAnswer decodes an answer's envelope, and its data into out (when not nil): nil for
// a 200, a *StatusError otherwise.
func decodeAnswer(status int, raw []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return &StatusError{Code: status, Message: strings.TrimSpace(string(raw[:min(len(raw), 200)]))}
	}
	if status != http.StatusOK {
		return &StatusError{Code: status, Message: env.Message}
	}
	if out != nil {
		return json.Unmarshal(env.Data, out)
	}
	return nil
}

// Login gets an IM token for userID the way an app's back end does: POST
// /api/im/auth/login signed with the AppSecret (the contract's app-server signature).
func (t *Target) Login(ctx context.Context, userID string) (string, error) {
	q := url.Values{"appId": {t.AppKey}, "userId": {userID}}
	path := "/api/im/auth/login"
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	nonce := auth.RandomHex(12)
	h := http.Header{}
	h.Set("X-App-Timestamp", ts)
	h.Set("X-App-Nonce", nonce)
	h.Set("X-App-Signature", auth.Sign(t.AppSecret, auth.SignedRequest{
		Method: http.MethodPost, Path: path, RawQuery: q.Encode(), Timestamp: ts, Nonce: nonce, BodyHash: auth.HashBody(nil),
	}))
	var tok struct {
		Token string `json:"token"`
	}
	if err := t.call(ctx, http.MethodPost, path+"?"+q.Encode(), nil, "", h, &tok); err != nil {
		return "", fmt.Errorf("IM login of %s: %w", userID, err)
	}
	return tok.Token, nil
}

// Users logs in users (named prefix0, prefix1, …) on demand and keeps their tokens, so that
// the scenarios of one run share them.
type Users struct {
	t      *Target
	prefix string
	mu     sync.Mutex
	tokens []string
}

// NewUsers names the run's users with prefix.
func NewUsers(t *Target, prefix string) *Users { return &Users{t: t, prefix: prefix} }

// ID is the user id of user i.
func (u *Users) ID(i int) string { return u.prefix + strconv.Itoa(i) }

// Tokens returns the tokens of users 0…n-1, logging in those not yet logged in, a few at
// a time.
func (u *Users) Tokens(ctx context.Context, n int) ([]string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	have := len(u.tokens)
	if n <= have {
		return u.tokens[:n], nil
	}
	fresh := make([]string, n-have)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range fresh {
		g.Go(func() error {
			tok, err := u.t.Login(gctx, u.ID(have+i))
			fresh[i] = tok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	u.tokens = append(u.tokens, fresh...)
	return u.tokens[:n], nil
}

// wsURL is the WebSocket address for token.
func (t *Target) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(t.URL, "http") + "/ws/im?token=" + url.QueryEscape(token)
}

// Dial opens a WebSocket as the token's user; local, when set, is the loopback source
// address, so that many connections do not exhaust one address's ports.
func (t *Target) Dial(ctx context.Context, token string, local net.IP) (*websocket.Conn, error) {
	opts := &websocket.DialOptions{}
	if local != nil {
		c, ok := t.dialers.Load(local.String())
		if !ok {
			d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: local}}
			c, _ = t.dialers.LoadOrStore(local.String(), &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 15 * time.Second})
		}
		opts.HTTPClient = c.(*http.Client)
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, t.wsURL(token), opts)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	return ws, nil
}

// errReason is the refusal reason of a failed send: the HTTP status, or "transport".
func errReason(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return strconv.Itoa(se.Code)
	}
	return "transport"
}

// rawTimeout bounds one request of a rawPool, from its write to the end of its answer.
const rawTimeout = 30 * time.Second

// rawPool sends POST requests over HTTP/1.1 connections of its own, each used by one request
// at a time and kept for the next. The senders use it rather than net/http's client, whose
// transport hands every request to a writer and a reader goroutine of its connection: at
// 5,000 sends a second the tool took 48-49% of a core with it and 35-36% with this, CPU it
// takes from the server it measures on the two cores they share. The server sees the same
// requests either way.
type rawPool struct {
	host string // host:port, dialed and sent as Host
	idle chan *rawConn
}

type rawConn struct {
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// newRawPool keeps up to size idle connections to base (http://host:port).
func newRawPool(base string, size int) (*rawPool, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://host:port", base)
	}
	return &rawPool{host: u.Host, idle: make(chan *rawConn, size)}, nil
}

// close closes the idle connections; those in use close as their requests end.
func (p *rawPool) close() {
	for {
		select {
		case c := <-p.idle:
			_ = c.nc.Close()
		default:
			return
		}
	}
}

// post sends body to path (with its query) with the headers given as name, value pairs
// and decodes the answer's envelope: nil for a 200, a *StatusError otherwise.
func (p *rawPool) post(ctx context.Context, path string, body []byte, header ...string) error {
	var c *rawConn
	select {
	case c = <-p.idle:
	default:
		nc, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", p.host)
		if err != nil {
			return err
		}
		c = &rawConn{nc: nc, br: bufio.NewReader(nc), bw: bufio.NewWriter(nc)}
	}
	keep, err := c.post(p.host, path, body, header)
	if keep && err == nil || keep && errors.As(err, new(*StatusError)) {
		select {
		case p.idle <- c:
			return err
		default:
		}
	}
	_ = c.nc.Close()
	return err
}

// post writes the request and reads its answer; keep tells whether the connection may
// serve another.
func (c *rawConn) post(host, path string, body []byte, header []string) (keep bool, err error) {
	if err := c.nc.SetDeadline(time.Now().Add(rawTimeout)); err != nil {
		return false, err
	}
	// bufio.Writer keeps its first error for Flush, which reports it.
	w := c.bw
	_, _ = w.WriteString("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: ")
	_, _ = w.WriteString(strconv.Itoa(len(body)))
	for i := 0; i+1 < len(header); i += 2 {
		_, _ = w.WriteString("\r\n" + header[i] + ": " + header[i+1])
	}
	_, _ = w.WriteString("\r\n\r\n")
	_, _ = w.Write(body)
	if err := w.Flush(); err != nil {
		return false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return false, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, err
	}
	return !resp.Close, decodeAnswer(resp.StatusCode, raw, nil)
}
