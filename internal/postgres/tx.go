package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// TxBeginner is what WithTx can start a transaction on: a *pgxpool.Pool, a *pgx.Conn, or a
// pgx.Tx (which makes a savepoint).
type TxBeginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// WithTx runs fn in a transaction: committed when fn returns nil, rolled back when it returns an
// error (which WithTx returns) or panics (which WithTx re-panics after the rollback). The
// transaction answers the store's errors (ErrNotFound, ConstraintError), Commit included.
func WithTx(ctx context.Context, db TxBeginner, fn func(pgx.Tx) error) error {
	begun, err := db.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	tx, ok := begun.(translatingTx)
	if !ok {
		tx = translatingTx{begun}
	}
	defer func() {
		if p := recover(); p != nil {
			// The caller's context may be what was cancelled; the rollback must still be sent.
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return tx.Commit(ctx)
}
