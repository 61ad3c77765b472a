// Package mail sends the platform's mail: over SMTP when a server is configured, otherwise into
// the log and the outbox table, so that a developer on a laptop can still read the codes.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/config"
)

// Message is one plain-text mail to one recipient.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New returns the SMTP sender when cfg names a server, else the outbox.
func New(cfg config.SMTP, q db.Querier, log *slog.Logger) (Sender, error) {
	if !cfg.Enabled() {
		return &Outbox{q: q, log: log}, nil
	}
	return NewSMTP(cfg)
}

// SMTP sends through an SMTP server, one connection per message (mail is rare here).
type SMTP struct {
	cfg  config.SMTP
	host string
	port int
}

// sendTimeout bounds one delivery, connection included.
const sendTimeout = 20 * time.Second

// NewSMTP checks cfg and returns its sender.
func NewSMTP(cfg config.SMTP) (*SMTP, error) {
	host, portText, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: XUQM_SMTP_ADDR %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("mail: XUQM_SMTP_ADDR %q: bad port", cfg.Addr)
	}
	return &SMTP{cfg: cfg, host: host, port: port}, nil
}

func (s *SMTP) options() []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(sendTimeout)}
	switch s.cfg.TLS {
	case config.SMTPTLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case config.SMTPTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.User), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// Send delivers m or says why it could not.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail: from %q: %w", s.cfg.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	client, err := gomail.NewClient(s.host, s.options()...)
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s via %s: %w", m.To, s.cfg.Addr, err)
	}
	return nil
}

// Outbox keeps mail in the mail_outbox table and writes it to the log, for servers without SMTP.
type Outbox struct {
	q   db.Querier
	log *slog.Logger
}

// NewOutbox returns the outbox kept through q.
func NewOutbox(q db.Querier, log *slog.Logger) *Outbox { return &Outbox{q: q, log: log} }

// Send stores m and logs it whole: without SMTP, the log is how a person reads it.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := o.q.InsertOutboxMail(ctx, db.InsertOutboxMailParams{Recipient: m.To, Subject: m.Subject, Body: m.Body}); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	o.log.Info("mail not sent (no SMTP configured); kept in the outbox", "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}
