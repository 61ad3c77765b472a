// Package eventbus carries events between the parts of the server and, with a networked
// implementation (NATS, XUQM_NATS_URL), between instances. Publishers and subscribers agree on
// subjects and on the bytes; the bus knows neither.
//
// Delivery is at most once: the bus is the fast path. What must not be lost is stored
// first (the IM event log), and the bus only says it is there.
package eventbus

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
)

// Handler receives the events of a subscription. It runs on the publisher's path (in
// process) or on the bus's delivery goroutine (networked), so it must not block: hand
// slow work to a goroutine of one's own.
type Handler func(subject string, data []byte)

// Bus publishes events to the subscribers of their subject on every instance.
type Bus interface {
	// Publish sends data to every subscriber of subject. Subscribers must not keep data
	// after their handler returns, nor change it.
	Publish(ctx context.Context, subject string, data []byte) error
	// Subscribe calls h for every event whose subject matches pattern: a subject, or a
	// prefix followed by ".>" that matches every subject under it (NATS-style).
	Subscribe(pattern string, h Handler) (Subscription, error)
	// Close stops delivery; later Publish calls fail.
	Close() error
}

// Subscription is one Subscribe call; Unsubscribe stops it.
type Subscription interface {
	Unsubscribe() error
}

// Local is the in-process bus: Publish calls the matching handlers before it returns, in
// the order they subscribed.
type Local struct {
	mu     sync.RWMutex
	subs   []*localSub
	closed atomic.Bool
}

type localSub struct {
	bus     *Local
	pattern string
	prefix  bool // pattern ends in ">"
	h       Handler
}

// NewLocal returns an in-process bus.
func NewLocal() *Local { return &Local{} }

// ErrClosed is returned by Publish after Close.
var ErrClosed = errClosed{}

type errClosed struct{}

func (errClosed) Error() string { return "eventbus: closed" }

// Publish implements Bus.
func (b *Local) Publish(_ context.Context, subject string, data []byte) error {
	if b.closed.Load() {
		return ErrClosed
	}
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, s := range subs {
		if s.matches(subject) {
			s.h(subject, data)
		}
	}
	return nil
}

// Subscribe implements Bus.
func (b *Local) Subscribe(pattern string, h Handler) (Subscription, error) {
	s := &localSub{bus: b, pattern: pattern, h: h}
	if strings.HasSuffix(pattern, ">") {
		s.prefix = true
		s.pattern = strings.TrimSuffix(pattern, ">")
	}
	b.mu.Lock()
	// Copy on write: Publish reads the slice without holding the lock.
	b.subs = append(append([]*localSub(nil), b.subs...), s)
	b.mu.Unlock()
	return s, nil
}

// Close implements Bus.
func (b *Local) Close() error {
	b.closed.Store(true)
	return nil
}

func (s *localSub) matches(subject string) bool {
	if s.prefix {
		return strings.HasPrefix(subject, s.pattern)
	}
	return subject == s.pattern
}

func (s *localSub) Unsubscribe() error {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := make([]*localSub, 0, len(b.subs))
	for _, x := range b.subs {
		if x != s {
			subs = append(subs, x)
		}
	}
	b.subs = subs
	return nil
}
