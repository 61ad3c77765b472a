package ops

import (
	"context"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// The dashboard's counters on a platform of 200 tenants with 1000 apps and 20,000 IM accounts.
func BenchmarkStatistics(b *testing.B) {
	pool := pgtest.NewDB(b)
	ctx := context.Background()
	for _, sql := range []string{
		`INSERT INTO tenants (name, email) SELECT 't' || i, 't' || i || '@example.com' FROM generate_series(1, 200) i`,
		`INSERT INTO apps (tenant_id, app_key, app_secret, name) SELECT 1 + i % 200, 'ak_bench_' || i, 's', 'a' || i FROM generate_series(1, 1000) i`,
		`INSERT INTO im_accounts (app_id, user_id) SELECT 1 + i % 1000, 'u' || i FROM generate_series(1, 20000) i`,
		`ANALYZE`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	s := New(pool, nil, Options{})
	op := &auth.Principal{Kind: auth.KindOps, OperatorID: 1}
	for b.Loop() {
		st, err := s.Statistics(ctx, op)
		if err != nil || st.IMAccounts != 20000 {
			b.Fatal(st, err)
		}
	}
}
