package tenant

import (
	"context"
	"fmt"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// benchTenant registers a tenant through the service and returns its main account.
func benchTenant(b *testing.B, s *Service, box *outbox) (Session, *auth.Principal) {
	b.Helper()
	ctx := context.Background()
	if err := s.SendEmailCode(ctx, CodeRequest{Email: "bench@example.com", Purpose: PurposeRegister}); err != nil {
		b.Fatal(err)
	}
	code := mailedCode.FindStringSubmatch(box.last().Body)[1]
	ses, err := s.Register(ctx, Registration{Email: "bench@example.com", Password: "passw0rd1", Code: code, Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	return ses, &auth.Principal{Kind: auth.KindTenant, TenantID: ses.TenantID, AccountID: ses.AccountID, Role: RoleMain}
}

// A sign-in costs one Argon2id verification and a few queries.
func BenchmarkLogin(b *testing.B) {
	s, box, _ := newService(b)
	benchTenant(b, s, box)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Login(auth.WithClientAddr(ctx, "10.0.0.1"), "bench@example.com", "passw0rd1"); err != nil {
			b.Fatal(err)
		}
	}
}

// A console's app list: a page of 20 of 100 apps with their services.
func BenchmarkListApps(b *testing.B) {
	s, box, _ := newService(b)
	_, p := benchTenant(b, s, box)
	ctx := context.Background()
	for i := range 100 {
		if _, err := s.CreateApp(ctx, p, AppInput{Name: fmt.Sprintf("App %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		pg, err := s.ListApps(ctx, p, page.Request{Size: 20}, "")
		if err != nil || len(pg.Items) != 20 {
			b.Fatal(err)
		}
	}
}
