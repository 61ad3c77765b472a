package push

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// fcmChannel delivers through the FCM HTTP v1 API with an OAuth 2.0 access token that
// golang.org/x/oauth2/google gets for the service account (a JWT assertion signed with its
// key) and reuses until shortly before it expires.
type fcmChannel struct {
	http   *http.Client
	tokens oauth2.TokenSource
	send   string // the messages:send URL of the project
}

// gatewayClient is the HTTP client of the vendors' REST gateways (HTTP/2 where offered).
func gatewayClient(roots *x509.CertPool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

func newFCMChannel(c sealedCredential, e Endpoints, roots *x509.CertPool) (*fcmChannel, error) {
	conf, err := google.JWTConfigFromJSON([]byte(c.ServiceAccountJSON), fcmScope)
	if err != nil {
		return nil, err
	}
	if e.FCMTokenURL != "" {
		conf.TokenURL = e.FCMTokenURL
	}
	client := gatewayClient(roots)
	// The token source keeps this context for its token requests: no deadline of one job.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	return &fcmChannel{
		http:   client,
		tokens: conf.TokenSource(ctx),
		send:   e.FCMHost + "/v1/projects/" + url.PathEscape(c.ProjectID) + "/messages:send",
	}, nil
}

type fcmMessage struct {
	Token        string            `json:"token"`
	Notification fcmNotification   `json:"notification"`
	Data         map[string]string `json:"data,omitempty"`
	Android      fcmAndroid        `json:"android"`
	APNs         *fcmAPNs          `json:"apns,omitempty"`
}

type fcmNotification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

type fcmAndroid struct {
	CollapseKey  string `json:"collapse_key,omitempty"`
	Priority     string `json:"priority"`
	TTL          string `json:"ttl,omitempty"`
	Notification struct {
		Sound string `json:"sound,omitempty"`
		Count *int32 `json:"notification_count,omitempty"`
	} `json:"notification"`
}

type fcmAPNs struct {
	Headers map[string]string `json:"headers,omitempty"`
	Payload map[string]any    `json:"payload,omitempty"`
}

// fcmError is the error body of the v1 API.
type fcmError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type      string `json:"@type"`
			ErrorCode string `json:"errorCode"`
		} `json:"details"`
	} `json:"error"`
}

func (f *fcmChannel) Send(ctx context.Context, to Target, n Notification) (string, error) {
	data, err := stringData(n.Data)
	if err != nil {
		return "", err
	}
	m := fcmMessage{Token: to.Token, Notification: fcmNotification{Title: n.Title, Body: n.Body}, Data: data}
	m.Android.Priority = "high"
	m.Android.CollapseKey = n.CollapseID
	m.Android.Notification.Sound = n.Sound
	m.Android.Notification.Count = n.Badge
	if n.TTLSeconds != nil {
		m.Android.TTL = strconv.Itoa(int(*n.TTLSeconds)) + "s"
	}
	if to.Platform == IOS {
		aps := map[string]any{}
		if n.Badge != nil {
			aps["badge"] = *n.Badge
		}
		if n.Sound != "" {
			aps["sound"] = n.Sound
		}
		m.APNs = &fcmAPNs{Headers: map[string]string{}, Payload: map[string]any{"aps": aps}}
		if n.CollapseID != "" {
			m.APNs.Headers["apns-collapse-id"] = n.CollapseID
		}
		if n.TTLSeconds != nil {
			m.APNs.Headers["apns-expiration"] = strconv.FormatInt(time.Now().Unix()+int64(*n.TTLSeconds), 10)
		}
	}
	body, err := json.Marshal(map[string]any{"message": m})
	if err != nil {
		return "", err
	}
	tok, err := f.tokens.Token()
	if err != nil {
		return "", &BusyError{Reason: "FCM: no access token: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.send, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	tok.SetAuthHeader(req)
	resp, err := f.http.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", &BusyError{Reason: "FCM: " + err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		var ok struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(raw, &ok)
		return ok.Name, nil
	}
	var e fcmError
	_ = json.Unmarshal(raw, &e)
	code := e.Error.Status
	for _, d := range e.Error.Details {
		if d.ErrorCode != "" {
			code = d.ErrorCode
		}
	}
	reason := fmt.Sprintf("FCM %s: %s", statusText(resp.StatusCode, code), e.Error.Message)
	switch {
	case code == "UNREGISTERED":
		return "", &goneError{reason}
	case retryable(resp.StatusCode):
		return "", busy(resp, reason)
	}
	return "", errors.New(reason)
}

// parseRSAKey reads a service account's private key, as the token source will.
func parseRSAKey(key []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(key)
	if block != nil {
		key = block.Bytes
	}
	parsed, err := x509.ParsePKCS8PrivateKey(key)
	if err != nil {
		k, err1 := x509.ParsePKCS1PrivateKey(key)
		if err1 != nil {
			return nil, err
		}
		return k, nil
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return k, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
