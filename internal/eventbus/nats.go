package eventbus

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is the bus between instances: every instance publishes to and subscribes on one NATS
// server (or cluster). Subjects are put under a prefix, so that several deployments, or the
// test runs of one machine, can share a NATS server without hearing each other.
type NATS struct {
	conn   *nats.Conn
	prefix string        // "xuqm." by default
	closed chan struct{} // closed once the connection is
}

var _ Bus = (*NATS)(nil)

// NewNATS connects to url; prefix (default "xuqm") namespaces the subjects. The connection
// reconnects by itself; events published while it is down are lost, as the bus is the fast
// path and what must not be lost is stored first.
func NewNATS(url, prefix string, log *slog.Logger) (*NATS, error) {
	if prefix == "" {
		prefix = "xuqm"
	}
	closed := make(chan struct{})
	conn, err := nats.Connect(url,
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.Name("xuqm"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("event bus disconnected", "err", err) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("event bus reconnected", "url", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			log.Warn("event bus error", "subject", subjectOf(s), "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("event bus: connect to NATS at %s: %w", url, err)
	}
	return &NATS{conn: conn, prefix: prefix + ".", closed: closed}, nil
}

func subjectOf(s *nats.Subscription) string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// Publish implements Bus.
func (b *NATS) Publish(_ context.Context, subject string, data []byte) error {
	if err := b.conn.Publish(b.prefix+subject, data); err != nil {
		if b.conn.IsClosed() {
			return ErrClosed
		}
		return fmt.Errorf("event bus: publish %s: %w", subject, err)
	}
	return nil
}

// Subscribe implements Bus; the pattern syntax is NATS's own.
func (b *NATS) Subscribe(pattern string, h Handler) (Subscription, error) {
	sub, err := b.conn.Subscribe(b.prefix+pattern, func(m *nats.Msg) {
		h(strings.TrimPrefix(m.Subject, b.prefix), m.Data)
	})
	if err != nil {
		return nil, fmt.Errorf("event bus: subscribe %s: %w", pattern, err)
	}
	// Delivery must keep up with a busy instance; a slow consumer drops, it never blocks.
	if err := sub.SetPendingLimits(1<<20, 256<<20); err != nil {
		return nil, err
	}
	return sub, nil
}

// Flush waits until the server has everything published so far, so that subscriptions made
// before it are in place on the server.
func (b *NATS) Flush() error { return b.conn.Flush() }

// Close drains the subscriptions (their handlers finish what they hold) and closes the
// connection; it returns once the connection is closed.
func (b *NATS) Close() error {
	if !b.conn.IsClosed() {
		if err := b.conn.Drain(); err != nil {
			b.conn.Close()
		}
	}
	select {
	case <-b.closed:
	case <-time.After(10 * time.Second):
		b.conn.Close()
	}
	return nil
}
