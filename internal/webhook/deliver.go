package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// MaxAttempts is the first try and its 5 retries.
const MaxAttempts = 6

// retryFactors multiply the retry base (10 s): about 10 s, 1 min, 5 min, 30 min and 2 h.
var retryFactors = []time.Duration{1, 6, 30, 180, 720}

// Delivery is the job of one event for one webhook. Body is signed and sent as it is, on
// every attempt.
type Delivery struct {
	WebhookID  int64           `json:"webhookId"`
	DeliveryID string          `json:"deliveryId"`
	Event      string          `json:"event"`
	Body       json.RawMessage `json:"body"`
}

// Kind names the job for River.
func (Delivery) Kind() string { return "webhook_delivery" }

type payload struct {
	ID        string    `json:"id"`
	Event     string    `json:"event"`
	AppID     string    `json:"appId"`
	CreatedAt time.Time `json:"createdAt"`
	Data      any       `json:"data"`
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// sign is X-Xuqm-Signature: hex(HMAC-SHA256(secret, timestamp + "." + body)).
func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// post sends body to the webhook, signed with its secret, and returns the answer's status
// and (at most 64 KiB of) its body.
func (s *Service) post(ctx context.Context, h db.ImWebhook, deliveryID, event string, body []byte) (int, []byte, error) {
	secret, err := s.box.OpenString(h.SecretSealed, aad(h.ID))
	if err != nil {
		return 0, nil, fmt.Errorf("open the webhook's secret: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.Url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "xuqm-webhook/1")
	req.Header.Set("X-Xuqm-Event", event)
	req.Header.Set("X-Xuqm-Delivery", deliveryID)
	req.Header.Set("X-Xuqm-Timestamp", ts)
	req.Header.Set("X-Xuqm-Signature", sign(secret, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, answer, nil
}

// Worker delivers the queued events.
type Worker struct {
	river.WorkerDefaults[Delivery]
	S *Service
}

// NextRetry spaces the retries out: base, 6×, 30×, 180×, 720×.
func (w *Worker) NextRetry(j *river.Job[Delivery]) time.Time {
	i := min(max(j.Attempt-1, 0), len(retryFactors)-1)
	return time.Now().Add(w.S.opts.RetryBase * retryFactors[i])
}

// Timeout bounds one attempt a little above the HTTP client's own.
func (w *Worker) Timeout(*river.Job[Delivery]) time.Duration { return 10 * time.Second }

// Work makes one attempt and logs it; an error has River retry it later.
func (w *Worker) Work(ctx context.Context, j *river.Job[Delivery]) error {
	s := w.S
	h, err := s.q.GetWebhookByID(ctx, j.Args.WebhookID)
	if errors.Is(err, postgres.ErrNotFound) {
		return nil // deleted: its deliveries are dropped
	}
	if err != nil {
		return err
	}
	if !h.Enabled {
		return nil
	}
	start := time.Now()
	status, _, err := s.post(ctx, h, j.Args.DeliveryID, j.Args.Event, j.Args.Body)
	a := db.InsertWebhookAttemptParams{WebhookID: h.ID, DeliveryID: j.Args.DeliveryID, Event: j.Args.Event, Attempt: int32(j.Attempt),
		DurationMs: time.Since(start).Milliseconds()}
	if status != 0 {
		st := int32(status)
		a.HttpStatus = &st
	}
	switch {
	case err != nil:
		a.Error = err.Error()
	case status < 200 || status > 299:
		a.Error = "the receiver answered HTTP " + strconv.Itoa(status)
	default:
		a.Success = true
	}
	if logErr := s.q.InsertWebhookAttempt(context.WithoutCancel(ctx), a); logErr != nil {
		s.opts.Log.Warn("webhooks: log attempt", "err", logErr)
	}
	if !a.Success {
		return errors.New(a.Error)
	}
	return nil
}

// Check asks the app's before-send webhooks about a message; the first that rejects it (or
// fails to answer, when it says REJECT on timeout) stops it.
func (s *Service) Check(ctx context.Context, appID int64, d im.Draft) error {
	app, err := s.hooksOf(ctx, appID)
	if err != nil {
		return err
	}
	for _, h := range app.hooks {
		if !h.BeforeSend {
			continue
		}
		id := newID()
		body, err := json.Marshal(payload{ID: id, Event: "message.before_send", AppID: app.key, CreatedAt: time.Now(), Data: d})
		if err != nil {
			return fault.Wrap(err, "encode before-send check")
		}
		hctx, cancel := context.WithTimeout(ctx, time.Duration(h.BeforeSendTimeoutMs)*time.Millisecond)
		status, answer, err := s.post(hctx, h, id, "message.before_send", body)
		cancel()
		if err != nil || status < 200 || status > 299 {
			if h.OnTimeout == "REJECT" {
				return fault.Forbiddenf("the app's before-send webhook did not accept the message in time, and the app rejects messages then")
			}
			continue
		}
		var verdict struct {
			Allow  *bool  `json:"allow"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(answer, &verdict) == nil && verdict.Allow != nil && !*verdict.Allow {
			reason := verdict.Reason
			if reason == "" {
				reason = "no reason given"
			}
			return fault.Forbiddenf("the app's before-send webhook rejected the message: %s", reason)
		}
	}
	return nil
}
