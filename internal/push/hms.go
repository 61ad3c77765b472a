package push

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// hmsChannel delivers through HMS Push Kit's HTTP API (POST /v1/{appId}/messages:send) with
// an OAuth 2.0 access token of the app (client credentials: the app id and its client secret),
// reused until shortly before it expires.
type hmsChannel struct {
	http *http.Client
	conf clientcredentials.Config
	ctx  context.Context // carries http for the token requests
	send string

	mu     sync.Mutex
	tokens oauth2.TokenSource
}

// HMS result codes (Push Kit's "code" field).
const (
	hmsSuccess       = "80000000"
	hmsPartial       = "80100000" // some tokens were refused; they are listed in msg
	hmsOAuthFailed   = "80200001"
	hmsOAuthExpired  = "80200003"
	hmsTokensInvalid = "80300007"
	hmsInternalError = "81000001"
)

func newHMSChannel(c sealedCredential, e Endpoints, roots *x509.CertPool) *hmsChannel {
	client := gatewayClient(roots)
	h := &hmsChannel{
		http: client,
		conf: clientcredentials.Config{
			ClientID: c.HMSAppID, ClientSecret: c.ClientSecret, TokenURL: e.HMSTokenURL,
			AuthStyle: oauth2.AuthStyleInParams, // as Huawei documents: client_id and client_secret in the form
		},
		ctx:  context.WithValue(context.Background(), oauth2.HTTPClient, client),
		send: e.HMSHost + "/v1/" + url.PathEscape(c.HMSAppID) + "/messages:send",
	}
	h.tokens = h.conf.TokenSource(h.ctx)
	return h
}

func (h *hmsChannel) token() (*oauth2.Token, error) {
	h.mu.Lock()
	ts := h.tokens
	h.mu.Unlock()
	return ts.Token()
}

// forgetToken drops an access token the gateway refused, so that the next send gets another.
func (h *hmsChannel) forgetToken() {
	h.mu.Lock()
	h.tokens = h.conf.TokenSource(h.ctx)
	h.mu.Unlock()
}

type hmsAndroid struct {
	TTL          string `json:"ttl,omitempty"`
	Urgency      string `json:"urgency"`
	Notification struct {
		Title        string `json:"title"`
		Body         string `json:"body"`
		Sound        string `json:"sound,omitempty"`
		DefaultSound bool   `json:"default_sound,omitempty"`
		Tag          string `json:"tag,omitempty"`
		ClickAction  struct {
			Type int `json:"type"`
		} `json:"click_action"`
	} `json:"notification"`
}

func (h *hmsChannel) Send(ctx context.Context, to Target, n Notification) (string, error) {
	var a hmsAndroid
	a.Urgency = "HIGH"
	if n.TTLSeconds != nil {
		a.TTL = strconv.Itoa(int(*n.TTLSeconds)) + "s"
	}
	a.Notification.Title, a.Notification.Body = n.Title, n.Body
	a.Notification.Tag = n.CollapseID   // a newer notification with the same tag replaces the older
	a.Notification.ClickAction.Type = 3 // open the app
	if n.Sound == "default" {
		a.Notification.DefaultSound = true
	} else {
		a.Notification.Sound = n.Sound
	}
	msg := map[string]any{"android": a, "token": []string{to.Token}}
	if len(n.Data) > 0 && string(n.Data) != "{}" {
		msg["data"] = string(n.Data) // Push Kit takes the custom payload as a string
	}
	body, err := json.Marshal(map[string]any{"validate_only": false, "message": msg})
	if err != nil {
		return "", err
	}
	tok, err := h.token()
	if err != nil {
		return "", &BusyError{Reason: "HMS: no access token: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.send, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(req)
	resp, err := h.http.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", &BusyError{Reason: "HMS: " + err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var r struct {
		Code      string `json:"code"`
		Msg       string `json:"msg"`
		RequestID string `json:"requestId"`
	}
	_ = json.Unmarshal(raw, &r)
	reason := "HMS " + statusText(resp.StatusCode, r.Code)
	if r.Msg != "" {
		reason += " " + r.Msg
	}
	switch {
	case resp.StatusCode == http.StatusOK && r.Code == hmsSuccess:
		return r.RequestID, nil
	case r.Code == hmsTokensInvalid || r.Code == hmsPartial: // one token per request: it was refused
		return "", &goneError{reason}
	case r.Code == hmsOAuthFailed || r.Code == hmsOAuthExpired || resp.StatusCode == http.StatusUnauthorized:
		h.forgetToken()
		return "", &BusyError{Reason: reason}
	case retryable(resp.StatusCode) || r.Code == hmsInternalError:
		return "", busy(resp, reason)
	}
	return "", errors.New(reason)
}
