// Package captcha issues image captchas and checks their answers. The answers live in
// PostgreSQL, so that any instance can check a captcha another one issued; each is answered
// once and expires after five minutes.
package captcha

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	dchest "github.com/dchest/captcha"
	"github.com/google/uuid"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// The shape of a captcha.
const (
	Length = 4
	TTL    = 5 * time.Minute
	width  = 160
	height = 60
)

// Captcha is a new captcha: its id and its image as a data URL.
type Captcha struct {
	ID    string
	Image string // data:image/png;base64,…
}

// Captchas issues and checks captchas.
type Captchas struct {
	q   db.Querier
	now func() time.Time
}

// New returns captchas kept through q; now is the clock (time.Now outside tests).
func New(q db.Querier, now func() time.Time) *Captchas {
	return &Captchas{q: q, now: now}
}

// Issue makes a new captcha and remembers its answer.
func (c *Captchas) Issue(ctx context.Context) (Captcha, error) {
	id := uuid.NewString()
	digits := dchest.RandomDigits(Length)
	var png bytes.Buffer
	if _, err := dchest.NewImage(id, digits, width, height).WriteTo(&png); err != nil {
		return Captcha{}, fault.Wrap(err, "draw captcha")
	}
	answer := make([]byte, len(digits))
	for i, d := range digits {
		answer[i] = '0' + d
	}
	err := c.q.InsertCaptcha(ctx, db.InsertCaptchaParams{ID: id, Answer: string(answer), ExpiresAt: c.now().Add(TTL)})
	if err != nil {
		return Captcha{}, fault.Wrap(err, "store captcha")
	}
	return Captcha{ID: id, Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png.Bytes())}, nil
}

// Check uses the captcha id up and reports whether answer was its answer, before it expired.
// Answers are compared case-insensitively, spaces around them ignored.
func (c *Captchas) Check(ctx context.Context, id, answer string) (bool, error) {
	row, err := c.q.TakeCaptcha(ctx, id)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fault.Wrap(err, "take captcha")
	}
	if !c.now().Before(row.ExpiresAt) {
		return false, nil
	}
	return strings.EqualFold(strings.TrimSpace(answer), row.Answer), nil
}

// Purge forgets captchas that expired before now.
func (c *Captchas) Purge(ctx context.Context) (int64, error) {
	return c.q.DeleteExpiredCaptchas(ctx, c.now())
}
