package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Target is a device a notification goes to, as a Channel sees it.
type Target struct {
	DeviceID int64
	UserID   string
	Platform string
	Token    string
}

// Notification is what a push shows on a device.
type Notification struct {
	Title      string
	Body       string
	Data       json.RawMessage // a JSON object, {} when none
	Badge      *int32
	Sound      string
	TTLSeconds *int32 // nil: the vendor's default
	CollapseID string
}

// Channel hands notifications to one vendor's gateway with one app's credentials. Send
// returns the gateway's id of the message when the gateway (or its delivery queue) took it;
// otherwise an error: one wrapping ErrTokenGone when the gateway says the device token is
// invalid or expired for good, a *BusyError when the gateway is busy or failing and the
// notification should be sent again later, anything else for a refusal that a retry would
// not change.
type Channel interface {
	Send(ctx context.Context, to Target, n Notification) (providerID string, err error)
}

// ErrTokenGone is what a Channel wraps when the vendor refuses the device token for good
// (APNs 410 Unregistered or BadDeviceToken, FCM UNREGISTERED, HMS 80300007).
var ErrTokenGone = errors.New("the vendor says the device token is gone")

// BusyError is a gateway's 429 or 5xx, or a network failure: worth another try, not before
// RetryAfter when the gateway gave one.
type BusyError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *BusyError) Error() string { return e.Reason }

// busy is the BusyError of a gateway's answer, with its Retry-After (seconds or an HTTP date).
func busy(resp *http.Response, reason string) *BusyError {
	e := &BusyError{Reason: reason}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
			e.RetryAfter = time.Duration(secs) * time.Second
		} else if at, err := http.ParseTime(v); err == nil {
			e.RetryAfter = max(0, time.Until(at))
		}
	}
	return e
}

// retryable tells whether an HTTP status is worth another try.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// Endpoints are the vendors' gateways (XUQM_APNS_HOST, XUQM_FCM_HOST, …), so that a
// deployment behind a proxy, and tests, can point them elsewhere.
type Endpoints struct {
	// APNsHost replaces both of Apple's hosts (production and sandbox) when set.
	APNsHost string
	// FCMHost is the FCM HTTP v1 API (https://fcm.googleapis.com).
	FCMHost string
	// FCMTokenURL, when set, replaces the service account's token_uri.
	FCMTokenURL string
	// HMSHost is the Push Kit API (https://push-api.cloud.huawei.com).
	HMSHost string
	// HMSTokenURL is Huawei's OAuth 2.0 token endpoint.
	HMSTokenURL string
}

// The vendors' own endpoints.
const (
	APNsProduction     = "https://api.push.apple.com"
	APNsSandbox        = "https://api.sandbox.push.apple.com"
	DefaultFCMHost     = "https://fcm.googleapis.com"
	DefaultHMSHost     = "https://push-api.cloud.huawei.com"
	DefaultHMSTokenURL = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
)

func (e *Endpoints) defaults() {
	set := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
		*v = strings.TrimRight(*v, "/")
	}
	set(&e.FCMHost, DefaultFCMHost)
	set(&e.HMSHost, DefaultHMSHost)
	set(&e.HMSTokenURL, DefaultHMSTokenURL)
	e.APNsHost = strings.TrimRight(e.APNsHost, "/")
}

// stringData is the custom payload as the Android vendors take it: string values, others
// JSON-encoded.
func stringData(data json.RawMessage) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if len(data) > 0 {
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(v)
		}
	}
	return out, nil
}
