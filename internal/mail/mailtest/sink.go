// Package mailtest is an SMTP server for tests: it listens on loopback, speaks just enough
// SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to accept mail, and keeps every message.
package mailtest

import (
	"bufio"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one accepted mail, decoded.
type Message struct {
	From    string
	To      []string
	Subject string
	Body    string
	Raw     string
}

// Sink is the server.
type Sink struct {
	ln       net.Listener
	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
}

// Start listens on 127.0.0.1 and stops when the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	s := &Sink{ln: ln, arrived: make(chan struct{}, 1000)}
	go s.serve()
	t.Cleanup(func() { _ = ln.Close() })
	return s
}

// Addr is host:port of the server.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Messages are the messages accepted so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the messages to addr so far.
func (s *Sink) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Last waits up to five seconds for a message to addr beyond the first `after` ones, and returns
// the latest.
func (s *Sink) Last(t testing.TB, addr string, after int) Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if ms := s.To(addr); len(ms) > after {
			return ms[len(ms)-1]
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("mailtest: no new mail to %s within 5s (%d before)", addr, after)
		}
	}
}

func (s *Sink) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *Sink) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = io.WriteString(c, line+"\r\n") }
	say("220 mailtest ESMTP")
	var cur Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			say("250-mailtest")
			say("250 8BITMIME")
		case "HELO":
			say("250 mailtest")
		case "MAIL":
			cur = Message{From: angle(line)}
			say("250 OK")
		case "RCPT":
			cur.To = append(cur.To, angle(line))
			say("250 OK")
		case "DATA":
			say("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if strings.TrimRight(l, "\r\n") == "." {
					break
				}
				b.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			cur.Raw = b.String()
			cur.Subject, cur.Body = decode(cur.Raw)
			s.mu.Lock()
			s.messages = append(s.messages, cur)
			s.mu.Unlock()
			s.arrived <- struct{}{}
			say("250 OK queued")
		case "QUIT":
			say("221 bye")
			return
		default: // RSET, NOOP and anything else
			say("250 OK")
		}
	}
}

func angle(line string) string {
	i, j := strings.Index(line, "<"), strings.Index(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// decode returns the subject and the text body of a single-part message.
func decode(raw string) (subject, body string) {
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return "", raw
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		subject = m.Header.Get("Subject")
	}
	r := m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, newlineStripper{r})
	}
	b, _ := io.ReadAll(r)
	return subject, string(b)
}

type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}
