package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/xuqmgroup/xuqm/gen/db"
)

// DBTX is what queries run on: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx (gen/db.DBTX).
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// Queries are the named queries (gen/db) on d, answering the store's errors (ErrNotFound,
// ConstraintError). It is the only way the services make them: the linter forbids db.New
// outside this package, so that no query answers pgx's errors instead.
func Queries(d DBTX) *db.Queries { return db.New(translating(d)) }

// translating wraps d so that its errors are translated, unless they are already.
func translating(d DBTX) DBTX {
	switch d.(type) {
	case translatingDB, translatingTx:
		return d
	}
	return translatingDB{d}
}

// translatingDB translates the errors of a pool or a connection. Each of its methods costs
// one error check on success, and QueryRow and Query one small allocation for the wrapper
// of their result.
type translatingDB struct{ db DBTX }

func (t translatingDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.db.Exec(ctx, sql, args...)
	return tag, translate(err)
}

func (t translatingDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := t.db.Query(ctx, sql, args...)
	if err != nil {
		return rows, translate(err)
	}
	return translatingRows{rows}, nil
}

func (t translatingDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return translatingRow{t.db.QueryRow(ctx, sql, args...)}
}

func (t translatingDB) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	n, err := t.db.CopyFrom(ctx, table, columns, src)
	return n, translate(err)
}

// translatingTx is a transaction whose errors are translated: WithTx hands one to its
// function, so that a statement sent on the transaction directly (tx.Exec, River's InsertTx,
// a batch) answers the store's errors as its queries do. Conn and LargeObjects are pgx's own.
type translatingTx struct{ pgx.Tx }

func (t translatingTx) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := t.Tx.Begin(ctx)
	if err != nil {
		return nil, translate(err)
	}
	return translatingTx{tx}, nil
}

// Commit may fail on a deferred constraint.
func (t translatingTx) Commit(ctx context.Context) error { return translate(t.Tx.Commit(ctx)) }

func (t translatingTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.Tx.Exec(ctx, sql, args...)
	return tag, translate(err)
}

func (t translatingTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := t.Tx.Query(ctx, sql, args...)
	if err != nil {
		return rows, translate(err)
	}
	return translatingRows{rows}, nil
}

func (t translatingTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return translatingRow{t.Tx.QueryRow(ctx, sql, args...)}
}

func (t translatingTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	n, err := t.Tx.CopyFrom(ctx, table, columns, src)
	return n, translate(err)
}

func (t translatingTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return translatingBatch{t.Tx.SendBatch(ctx, b)}
}

type translatingRow struct{ row pgx.Row }

func (r translatingRow) Scan(dest ...any) error { return translate(r.row.Scan(dest...)) }

// translatingRows translates Err, where a failed statement's error arrives; Scan's errors
// are conversions, never the store's.
type translatingRows struct{ pgx.Rows }

func (r translatingRows) Err() error { return translate(r.Rows.Err()) }

type translatingBatch struct{ pgx.BatchResults }

func (b translatingBatch) Exec() (pgconn.CommandTag, error) {
	tag, err := b.BatchResults.Exec()
	return tag, translate(err)
}

func (b translatingBatch) Query() (pgx.Rows, error) {
	rows, err := b.BatchResults.Query()
	if err != nil {
		return rows, translate(err)
	}
	return translatingRows{rows}, nil
}

func (b translatingBatch) QueryRow() pgx.Row { return translatingRow{b.BatchResults.QueryRow()} }

func (b translatingBatch) Close() error { return translate(b.BatchResults.Close()) }

// QueriesPlannedEachRun are Queries whose statements PostgreSQL plans at every run, for the
// current size of the tables, rather than once per connection. A statement pgx prepares is
// planned for the parameters of its first runs and then, often, kept as a generic plan: one
// made when im_messages held a page reads it by a sequential scan until an ANALYZE (which
// autovacuum may be set not to run) invalidates it, a cost that grows with every message
// stored. Planning at every run costs PostgreSQL CPU each time (the send statement's plan
// takes some 0.6 ms), so that this suits the background workers' passes (a few a second),
// not the send path, whose statements are written so that every plan probes the indexes
// (im's TestSendPathPlansProbeIndexes).
func QueriesPlannedEachRun(d DBTX) *db.Queries { return db.New(translating(plannedEachRun{d})) }

// plannedEachRun sends each statement unprepared (pgx.QueryExecModeExec: one round trip,
// an unnamed statement, planned with its parameters' values).
type plannedEachRun struct{ db DBTX }

func execMode(args []any) []any {
	return append([]any{pgx.QueryExecModeExec}, args...)
}

func (p plannedEachRun) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return p.db.Exec(ctx, sql, execMode(args)...)
}

func (p plannedEachRun) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.db.Query(ctx, sql, execMode(args)...)
}

func (p plannedEachRun) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.db.QueryRow(ctx, sql, execMode(args)...)
}

func (p plannedEachRun) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	return p.db.CopyFrom(ctx, table, columns, src)
}
