package push

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/payload"
	"github.com/sideshow/apns2/token"
)

// apnsChannel delivers through APNs with token authentication. sideshow/apns2 speaks HTTP/2
// to the gateway and keeps the ES256 provider token, signing a new one only when the old
// one is 50 minutes old (token.TokenTimeout), as Apple asks: a token per request would be
// refused with TooManyProviderTokenUpdates.
type apnsChannel struct {
	client *apns2.Client
	topic  string
}

func newAPNsChannel(c sealedCredential, e Endpoints, roots *x509.CertPool) (*apnsChannel, error) {
	key, err := token.AuthKeyFromBytes([]byte(c.PrivateKey))
	if err != nil {
		return nil, err
	}
	client := apns2.NewTokenClient(&token.Token{AuthKey: key, KeyID: c.KeyID, TeamID: c.TeamID})
	switch {
	case e.APNsHost != "":
		client.Host = e.APNsHost
	case c.Environment == Production:
		client.Host = APNsProduction
	default:
		client.Host = APNsSandbox
	}
	// HTTP/2 only, as the library's own transport, with the roots this server trusts: one
	// connection, its streams shared by every request, pinged when it has been quiet.
	transport := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		HTTP2:           &http.HTTP2Config{SendPingTimeout: apns2.ReadIdleTimeout},
		Protocols:       new(http.Protocols),
	}
	transport.Protocols.SetHTTP2(true)
	client.HTTPClient = &http.Client{Transport: transport, Timeout: 30 * time.Second}
	return &apnsChannel{client: client, topic: c.BundleID}, nil
}

func (a *apnsChannel) Send(ctx context.Context, to Target, n Notification) (string, error) {
	p := payload.NewPayload().AlertTitle(n.Title).AlertBody(n.Body)
	if n.Badge != nil {
		p.Badge(int(*n.Badge))
	}
	if n.Sound != "" {
		p.Sound(n.Sound)
	}
	var custom map[string]json.RawMessage
	if len(n.Data) > 0 {
		if err := json.Unmarshal(n.Data, &custom); err != nil {
			return "", err
		}
	}
	for k, v := range custom {
		if k != "aps" { // the system's key
			p.Custom(k, v)
		}
	}
	note := &apns2.Notification{
		DeviceToken: to.Token, Topic: a.topic, Payload: p, CollapseID: n.CollapseID,
		Priority: apns2.PriorityHigh, PushType: apns2.PushTypeAlert,
	}
	if n.TTLSeconds != nil {
		// 0: now, so that APNs tries once and keeps nothing.
		note.Expiration = time.Now().Add(time.Duration(*n.TTLSeconds) * time.Second)
	}
	res, err := a.client.PushWithContext(ctx, note)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return "", err
		}
		return "", &BusyError{Reason: "APNs: " + err.Error()}
	}
	switch {
	case res.Sent():
		return res.ApnsID, nil
	case res.StatusCode == http.StatusGone || res.Reason == apns2.ReasonBadDeviceToken || res.Reason == apns2.ReasonUnregistered:
		return "", &goneError{"APNs " + statusText(res.StatusCode, res.Reason)}
	case retryable(res.StatusCode):
		// APNs documents no Retry-After: the queue's backoff applies.
		return "", &BusyError{Reason: "APNs " + statusText(res.StatusCode, res.Reason)}
	}
	return "", errors.New("APNs " + statusText(res.StatusCode, res.Reason))
}

func statusText(code int, reason string) string {
	s := http.StatusText(code)
	if s == "" {
		s = "status"
	}
	out := s + " (" + itoa(code) + ")"
	if reason != "" {
		out += ": " + reason
	}
	return out
}

// goneError is a vendor's answer that the token is gone for good.
type goneError struct{ reason string }

func (e *goneError) Error() string { return e.reason }
func (e *goneError) Unwrap() error { return ErrTokenGone }
