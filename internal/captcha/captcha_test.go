package captcha

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestCaptcha(t *testing.T) {
	q := db.New(pgtest.NewDB(t))
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 4, 28, 10, 0, 0, 0, time.UTC)}
	caps := New(q, c.now)
	answer := func(id string) string {
		rows, err := q.TakeCaptcha(ctx, id) // reads and removes: put it back
		if err != nil {
			t.Fatal(err)
		}
		if err := q.InsertCaptcha(ctx, db.InsertCaptchaParams{ID: id, Answer: rows.Answer, ExpiresAt: rows.ExpiresAt}); err != nil {
			t.Fatal(err)
		}
		return rows.Answer
	}

	cp, err := caps.Issue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(cp.Image, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() != width || img.Bounds().Dy() != height {
		t.Fatalf("image: %v %v", err, img.Bounds())
	}
	a := answer(cp.ID)
	if len(a) != Length {
		t.Fatalf("answer %q", a)
	}
	// Right once (spaces ignored); the second answer finds nothing.
	if ok, err := caps.Check(ctx, cp.ID, " "+a+" "); !ok || err != nil {
		t.Errorf("right answer: %v %v", ok, err)
	}
	if ok, _ := caps.Check(ctx, cp.ID, a); ok {
		t.Error("a captcha answered twice")
	}
	// Wrong uses it up.
	cp, _ = caps.Issue(ctx)
	a = answer(cp.ID)
	if ok, _ := caps.Check(ctx, cp.ID, a+"0"); ok {
		t.Error("a wrong answer passed")
	}
	if ok, _ := caps.Check(ctx, cp.ID, a); ok {
		t.Error("the right answer after a wrong one passed")
	}
	// Expired after five minutes.
	cp, _ = caps.Issue(ctx)
	a = answer(cp.ID)
	c.t = c.t.Add(TTL)
	if ok, _ := caps.Check(ctx, cp.ID, a); ok {
		t.Error("an expired captcha passed")
	}
	if ok, _ := caps.Check(ctx, "no-such-id", "1234"); ok {
		t.Error("an unknown id passed")
	}
	// Purge removes what has expired.
	if _, err := caps.Issue(ctx); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(TTL + time.Second)
	if n, err := caps.Purge(ctx); err != nil || n != 1 {
		t.Errorf("purge: %d %v", n, err)
	}
}
