package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// storeTables is a parent, a child with a foreign key and a check, and a deferred unique
// constraint, each constraint named so that the test can ask for it.
const storeTables = `
CREATE TABLE store_parent (id int CONSTRAINT store_parent_pkey PRIMARY KEY);
CREATE TABLE store_child (
	id int CONSTRAINT store_child_pkey PRIMARY KEY,
	parent_id int CONSTRAINT store_child_parent_fkey REFERENCES store_parent,
	n int CONSTRAINT store_child_n_check CHECK (n > 0)
);
CREATE TABLE store_deferred (id int CONSTRAINT store_deferred_id_key UNIQUE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO store_parent VALUES (1);
INSERT INTO store_child VALUES (1, 1, 1);`

func storeDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.NewDB(t)
	if _, err := pool.Exec(t.Context(), storeTables); err != nil {
		t.Fatal(err)
	}
	return pool
}

// wantNotFound checks err is the store's not-found, and still the driver's for River.
func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, postgres.ErrNotFound) || !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("err %v, want postgres.ErrNotFound wrapping pgx.ErrNoRows", err)
	}
}

// wantViolation checks err is a ConstraintError of the kind and constraint, and still the
// driver's *pgconn.PgError.
func wantViolation(t *testing.T, err, kind error, constraint string) {
	t.Helper()
	ce, ok := errors.AsType[*postgres.ConstraintError](err)
	if !ok || !errors.Is(err, kind) || ce.Constraint() != constraint {
		t.Errorf("err %v, want a %v of %s", err, kind, constraint)
		return // t.Fatal would leave WithTx's transaction open
	}
	for _, other := range []error{postgres.ErrUnique, postgres.ErrForeignKey, postgres.ErrCheck} {
		if other != kind && errors.Is(err, other) {
			t.Errorf("err %v is also a %v", err, other)
		}
	}
	if pg, ok := errors.AsType[*pgconn.PgError](err); !ok || pg.ConstraintName != constraint {
		t.Errorf("err %v does not wrap the driver's *pgconn.PgError", err)
	}
	if postgres.IsUnique(err, constraint) != (kind == postgres.ErrUnique) ||
		postgres.IsForeignKey(err, constraint) != (kind == postgres.ErrForeignKey) {
		t.Errorf("IsUnique %v, IsForeignKey %v for a %v", postgres.IsUnique(err, constraint), postgres.IsForeignKey(err, constraint), kind)
	}
	if postgres.IsUnique(err, "other") || postgres.IsForeignKey(err, "other") {
		t.Errorf("err %v matches a constraint it is not", err)
	}
}

// The violations, each as a statement that causes it.
var violations = []struct {
	name, sql  string
	kind       error
	constraint string
}{
	{"unique", "INSERT INTO store_parent VALUES (1)", postgres.ErrUnique, "store_parent_pkey"},
	{"foreign key", "INSERT INTO store_child VALUES (2, 99, 1)", postgres.ErrForeignKey, "store_child_parent_fkey"},
	{"foreign key on delete", "DELETE FROM store_parent WHERE id = 1", postgres.ErrForeignKey, "store_child_parent_fkey"},
	{"check", "INSERT INTO store_child VALUES (3, 1, 0)", postgres.ErrCheck, "store_child_n_check"},
}

// Every way a service reaches the database: generated queries on the pool, statements on a
// pool or connection through the wrapper Queries uses, and on WithTx's transaction.
func TestStoreErrors(t *testing.T) {
	pool := storeDB(t)
	ctx := t.Context()

	t.Run("generated query", func(t *testing.T) {
		_, err := postgres.Queries(pool).GetServerSetting(ctx, "no such setting")
		wantNotFound(t, err)
	})

	type dbtx interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
		Query(context.Context, string, ...any) (pgx.Rows, error)
		QueryRow(context.Context, string, ...any) pgx.Row
		CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error)
	}
	// on runs fn on the pool's wrapper, on a connection's, and on a transaction of WithTx.
	on := func(t *testing.T, fn func(t *testing.T, d dbtx)) {
		t.Run("pool", func(t *testing.T) { fn(t, postgres.Translating(pool)) })
		t.Run("conn", func(t *testing.T) {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			fn(t, postgres.Translating(conn.Conn()))
		})
		t.Run("tx", func(t *testing.T) {
			err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
				// A savepoint, so that the statement's failure leaves the transaction usable.
				return postgres.WithTx(ctx, tx, func(tx pgx.Tx) error {
					fn(t, tx)
					return errors.New("roll back")
				})
			})
			if err == nil || err.Error() != "roll back" {
				t.Errorf("WithTx: %v", err)
			}
		})
	}

	t.Run("not found", func(t *testing.T) {
		on(t, func(t *testing.T, d dbtx) {
			var id int
			wantNotFound(t, d.QueryRow(ctx, "SELECT id FROM store_parent WHERE id = 99").Scan(&id))
		})
	})
	for _, v := range violations {
		t.Run(v.name, func(t *testing.T) {
			t.Run("Exec", func(t *testing.T) {
				on(t, func(t *testing.T, d dbtx) {
					_, err := d.Exec(ctx, v.sql)
					wantViolation(t, err, v.kind, v.constraint)
				})
			})
			t.Run("QueryRow", func(t *testing.T) {
				on(t, func(t *testing.T, d dbtx) {
					var n int
					wantViolation(t, d.QueryRow(ctx, v.sql+" RETURNING 1").Scan(&n), v.kind, v.constraint)
				})
			})
			t.Run("Query", func(t *testing.T) {
				on(t, func(t *testing.T, d dbtx) {
					rows, err := d.Query(ctx, v.sql+" RETURNING 1")
					if err == nil {
						for rows.Next() {
						}
						err = rows.Err()
					}
					wantViolation(t, err, v.kind, v.constraint)
				})
			})
		})
	}
	t.Run("CopyFrom", func(t *testing.T) {
		on(t, func(t *testing.T, d dbtx) {
			_, err := d.CopyFrom(ctx, pgx.Identifier{"store_parent"}, []string{"id"}, pgx.CopyFromRows([][]any{{1}}))
			wantViolation(t, err, postgres.ErrUnique, "store_parent_pkey")
		})
	})
	t.Run("batch", func(t *testing.T) {
		err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue("SELECT id FROM store_parent WHERE id = 99")
			b.Queue("INSERT INTO store_parent VALUES (1)")
			res := tx.SendBatch(ctx, b)
			var id int
			wantNotFound(t, res.QueryRow().Scan(&id))
			_, err := res.Exec()
			wantViolation(t, err, postgres.ErrUnique, "store_parent_pkey")
			return res.Close()
		})
		wantViolation(t, err, postgres.ErrUnique, "store_parent_pkey")
	})
	t.Run("deferred, at commit", func(t *testing.T) {
		err := postgres.WithTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO store_deferred VALUES (1), (1)")
			return err
		})
		wantViolation(t, err, postgres.ErrUnique, "store_deferred_id_key")
	})
	t.Run("other errors as they are", func(t *testing.T) {
		_, err := postgres.Translating(pool).Exec(ctx, "SELECT 1/0")
		if pg, ok := errors.AsType[*pgconn.PgError](err); !ok || pg.Code != "22012" {
			t.Errorf("err %v, want division_by_zero as pgx gave it", err)
		}
		if _, ok := errors.AsType[*postgres.ConstraintError](err); ok || errors.Is(err, postgres.ErrNotFound) {
			t.Errorf("err %v was translated", err)
		}
	})
	if got := pool.Stat().AcquiredConns(); got != 0 {
		t.Errorf("%d connections still acquired", got)
	}
}
