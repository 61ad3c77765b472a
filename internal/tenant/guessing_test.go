package tenant

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// A mailed code dies after five wrong answers however many arrive at once: each answer is
// counted as it is judged, so the right code sent after 30 concurrent guesses is refused.
func TestConcurrentWrongCodesKillTheCode(t *testing.T) {
	s, box, _ := newService(t)
	ctx := context.Background()
	if err := s.SendEmailCode(ctx, CodeRequest{Email: "a@example.com", Purpose: PurposeRegister}); err != nil {
		t.Fatal(err)
	}
	code := mailedCode.FindStringSubmatch(box.last().Body)[1]
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			guess := fmt.Sprintf("%06d", i)
			if guess == code {
				guess = "999999"
			}
			if err := s.checkCode(ctx, "a@example.com", PurposeRegister, guess); !fault.Is(err, fault.Invalid) {
				t.Errorf("a wrong code: %v", err)
			}
		})
	}
	wg.Wait()
	var attempts int
	if err := s.pool.QueryRow(ctx, `SELECT attempts FROM email_codes WHERE email = 'a@example.com'`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 5 {
		t.Errorf("%d wrong answers judged; want 5, after which the code is dead", attempts)
	}
	if err := s.checkCode(ctx, "a@example.com", PurposeRegister, code); !fault.Is(err, fault.Invalid) {
		t.Errorf("the right code after five wrong ones: %v", err)
	}
}

// sub-accounts/send-verify-code answers alike for known and unknown addresses, and a tenant
// cannot probe addresses in bulk: 20 an hour.
func TestSubAccountCodesAnswerAlikeAndAreLimited(t *testing.T) {
	s, box, _ := newService(t)
	ctx := context.Background()
	var tenantID int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO tenants (name, email) VALUES ('T', 'owner@example.com') RETURNING id`).Scan(&tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO tenant_accounts (tenant_id, email, name, password_hash, role) VALUES ($1, 'taken@example.com', 'T', 'x', 'MAIN')`, tenantID); err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{Kind: auth.KindTenant, TenantID: tenantID, AccountID: 1, Role: auth.RoleMain}
	if err := s.SendSubAccountCode(ctx, p, "taken@example.com"); err != nil {
		t.Errorf("a taken address: %v", err)
	}
	if m := box.last(); m.To != "taken@example.com" || mailedCode.MatchString(m.Body) {
		t.Errorf("the mail to a taken address: %+v", m)
	}
	for i := range 19 {
		if err := s.SendSubAccountCode(ctx, p, fmt.Sprintf("new%d@example.com", i)); err != nil {
			t.Fatalf("free address %d: %v", i, err)
		}
	}
	err := s.SendSubAccountCode(ctx, p, "one-more@example.com")
	if fe := fault.As(err); fe.Kind != fault.RateLimited || fe.RetryAfter <= 0 {
		t.Errorf("the 21st address within the hour: %v", err)
	}
}
