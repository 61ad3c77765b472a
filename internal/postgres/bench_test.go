package postgres_test

import (
	"testing"

	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// BenchmarkQueryRow is what the translation costs a query of one row: pgx's pool alone,
// then through the wrapper postgres.Queries puts around it.
func BenchmarkQueryRow(b *testing.B) {
	pool := pgtest.NewDB(b)
	for _, bc := range []struct {
		name string
		db   postgres.DBTX
	}{{"pgx", pool}, {"translated", postgres.Translating(pool)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var n int
				if err := bc.db.QueryRow(b.Context(), "SELECT 1").Scan(&n); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
