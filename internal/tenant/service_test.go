package tenant

import (
	"context"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/mail"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// outbox keeps what the service mails.
type outbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) last() mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent[len(o.sent)-1]
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newService(t testing.TB) (*Service, *outbox, *clock) {
	t.Helper()
	c := &clock{t: time.Now()}
	box := &outbox{}
	tokens := auth.NewTokens([]byte("service-test-signing-key-0123456789"), time.Hour)
	return New(pgtest.NewDB(t), tokens, box, Options{Now: c.now}), box, c
}

var mailedCode = regexp.MustCompile(`code is: (\d{6})`)

func TestCodeLifetime(t *testing.T) {
	s, box, c := newService(t)
	ctx := context.Background()
	if err := s.SendEmailCode(auth.WithClientAddr(ctx, "10.0.0.1"), CodeRequest{Email: "a@example.com", Purpose: PurposeRegister}); err != nil {
		t.Fatal(err)
	}
	code := mailedCode.FindStringSubmatch(box.last().Body)[1]
	c.add(CodeTTL - time.Second)
	if err := s.checkCode(ctx, "a@example.com", PurposeRegister, code); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	c.add(time.Second)
	if err := s.checkCode(ctx, "a@example.com", PurposeRegister, code); !fault.Is(err, fault.Invalid) {
		t.Errorf("at expiry: %v", err)
	}
	// The next mail to the address is allowed a minute after the last one.
	if err := s.SendEmailCode(auth.WithClientAddr(ctx, "10.0.0.1"), CodeRequest{Email: "a@example.com", Purpose: PurposeRegister}); err != nil {
		t.Fatalf("a new code long after: %v", err)
	}
	c.add(59 * time.Second)
	err := s.SendEmailCode(auth.WithClientAddr(ctx, "10.0.0.1"), CodeRequest{Email: "a@example.com", Purpose: PurposeRegister})
	if fe := fault.As(err); fe.Kind != fault.RateLimited || fe.RetryAfter != time.Second {
		t.Errorf("59 s later: %v (retry after %v)", err, fe.RetryAfter)
	}
	c.add(time.Second)
	if err := s.SendEmailCode(auth.WithClientAddr(ctx, "10.0.0.1"), CodeRequest{Email: "a@example.com", Purpose: PurposeRegister}); err != nil {
		t.Errorf("60 s later: %v", err)
	}
	// Purge drops expired codes, and rate events older than the longest window (an hour).
	c.add(time.Hour + time.Second)
	if err := s.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM email_codes) + (SELECT count(*) FROM rate_events)`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows left after the purge", n)
	}
}

// Concurrent requests for the same address send one mail.
func TestConcurrentCodesSendOneMail(t *testing.T) {
	s, box, _ := newService(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			errs <- s.SendEmailCode(context.Background(), CodeRequest{Email: "a@example.com", Purpose: PurposeRegister})
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !fault.Is(err, fault.RateLimited):
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 || len(box.sent) != 1 {
		t.Errorf("%d accepted, %d mails; want 1 and 1", ok, len(box.sent))
	}
}

func TestResetTokenLifetime(t *testing.T) {
	s, box, c := newService(t)
	ctx := context.Background()
	if err := s.SendEmailCode(ctx, CodeRequest{Email: "a@example.com", Purpose: PurposeRegister}); err != nil {
		t.Fatal(err)
	}
	code := mailedCode.FindStringSubmatch(box.last().Body)[1]
	ses, err := s.Register(ctx, Registration{Email: "a@example.com", Password: "passw0rd1", Code: code, Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	c.add(time.Minute)
	if err := s.ForgotPassword(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	token := regexp.MustCompile(`Reset token: ([0-9a-f]{64})`).FindStringSubmatch(box.last().Body)[1]
	c.add(ResetTTL)
	if err := s.ResetPassword(ctx, PasswordReset{Token: token, Password: "newPassw0rd"}); !fault.Is(err, fault.Invalid) {
		t.Errorf("at expiry: %v", err)
	}
	c.add(time.Minute)
	if err := s.ForgotPassword(ctx, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	token = regexp.MustCompile(`Reset token: ([0-9a-f]{64})`).FindStringSubmatch(box.last().Body)[1]
	c.add(ResetTTL - time.Second)
	if err := s.ResetPassword(ctx, PasswordReset{Token: token, Password: "newPassw0rd"}); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	// The account's tokens of before the reset are refused from then on.
	var after time.Time
	if err := s.pool.QueryRow(ctx, `SELECT tokens_valid_after FROM tenant_accounts WHERE id = $1`, ses.AccountID).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !after.Equal(c.now().Truncate(time.Millisecond)) {
		t.Errorf("tokens valid after %v, want %v", after, c.now())
	}
	if _, err := s.Login(auth.WithClientAddr(ctx, "10.0.0.9"), "a@example.com", "newPassw0rd"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	// The audit trail has it all, newest first.
	entries, err := s.q.ListAuditEntries(ctx, db.ListAuditEntriesParams{TenantID: &ses.TenantID, MaxRows: 10})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	want := []string{"account.login", "account.reset-password", "account.forgot-password", "account.forgot-password", "tenant.register"}
	if !slices.Equal(actions, want) {
		t.Errorf("audit actions %v, want %v", actions, want)
	}
	if e := entries[0]; e.ActorKind != "tenant" || e.ActorID == nil || *e.ActorID != ses.AccountID || e.ClientIp != "10.0.0.9" {
		t.Errorf("login entry %+v", e)
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{
		"abcdefg1": true, "密码密码密码12": true, "abc1": false, "abcdefgh": false, "12345678": false,
		"a1" + string(make([]byte, 63)): false,
	} {
		if err := checkPassword(pw); (err == nil) != ok {
			t.Errorf("checkPassword(%q) = %v, want ok=%v", pw, err, ok)
		}
	}
	if got := mask("0123456789abcdef"); got != "0123****cdef" {
		t.Errorf("mask: %q", got)
	}
}
