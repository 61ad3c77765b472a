package mail

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/config"
	"github.com/xuqmgroup/xuqm/internal/mail/mailtest"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSMTP(t *testing.T) {
	sink := mailtest.Start(t)
	s, err := New(config.SMTP{Addr: sink.Addr(), From: "noreply@xuqm.test", TLS: config.SMTPTLSNone}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{To: "owner@example.com", Subject: "验证码 / Code", Body: "您的验证码是:123456\nYour code is 123456 — thanks."}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := sink.Last(t, "owner@example.com", 0)
	if got.From != "noreply@xuqm.test" || got.Subject != msg.Subject || strings.TrimRight(got.Body, "\r\n") != strings.ReplaceAll(msg.Body, "\n", "\r\n") {
		t.Errorf("received from %q subject %q body %q", got.From, got.Subject, got.Body)
	}
}

func TestSMTPRefusesWithoutTLS(t *testing.T) {
	// The sink offers no STARTTLS: a server configured for starttls must not send in clear.
	sink := mailtest.Start(t)
	s, _ := NewSMTP(config.SMTP{Addr: sink.Addr(), From: "noreply@xuqm.test", TLS: config.SMTPTLSStartTLS})
	if err := s.Send(context.Background(), Message{To: "a@example.com", Subject: "s", Body: "b"}); err == nil {
		t.Error("mail sent in clear although STARTTLS was required")
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d messages reached the server", n)
	}
}

func TestOutbox(t *testing.T) {
	q := db.New(pgtest.NewDB(t))
	var log strings.Builder
	s, err := New(config.SMTP{}, q, slog.New(slog.NewTextHandler(io.MultiWriter(&log), nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*Outbox); !ok {
		t.Fatalf("without SMTP the sender is %T", s)
	}
	if err := s.Send(context.Background(), Message{To: "a@example.com", Subject: "Code", Body: "code 654321"}); err != nil {
		t.Fatal(err)
	}
	rows, err := q.ListOutboxMail(context.Background(), db.ListOutboxMailParams{Recipient: "a@example.com", Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].Body != "code 654321" || rows[0].Subject != "Code" {
		t.Errorf("outbox: %+v %v", rows, err)
	}
	if !strings.Contains(log.String(), "654321") {
		t.Errorf("the log lacks the mail: %s", log.String())
	}
}
