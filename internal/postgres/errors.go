package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The store's errors. A service tells "there is no such row" and "a constraint refused the
// write" from other failures with these alone, never with pgx or pgconn: the translation is
// done once, where the database is reached (Queries and WithTx), as riverqueue/river's
// drivers turn pgx.ErrNoRows into rivertype.ErrNotFound at the driver and nowhere else. Each
// translated error still wraps the driver's, so River (which is handed our transactions for
// InsertTx) and the log see what PostgreSQL said.

// ErrNotFound is a query for one row that found none.
var ErrNotFound = fmt.Errorf("postgres: not found: %w", pgx.ErrNoRows)

// The kinds of ConstraintError, for errors.Is.
var (
	ErrUnique     = errors.New("unique violation")
	ErrForeignKey = errors.New("foreign key violation")
	ErrCheck      = errors.New("check violation")
)

// ConstraintError is a write that a constraint refused: errors.Is(err, ErrUnique) (or
// ErrForeignKey, ErrCheck) tells which kind, Constraint which constraint.
type ConstraintError struct {
	kind error
	pg   *pgconn.PgError
}

// Constraint is the name of the constraint (or unique index) that refused the write.
func (e *ConstraintError) Constraint() string { return e.pg.ConstraintName }

func (e *ConstraintError) Error() string { return e.pg.Error() }

func (e *ConstraintError) Unwrap() []error { return []error{e.kind, e.pg} }

// IsUnique tells whether err is a unique violation of the named constraint (or unique index).
func IsUnique(err error, constraint string) bool { return violates(err, ErrUnique, constraint) }

// IsForeignKey tells whether err is a violation of the named foreign key.
func IsForeignKey(err error, constraint string) bool {
	return violates(err, ErrForeignKey, constraint)
}

func violates(err, kind error, constraint string) bool {
	ce, ok := errors.AsType[*ConstraintError](err)
	return ok && ce.kind == kind && ce.pg.ConstraintName == constraint
}

// constraintKinds are the SQLSTATEs translated to a ConstraintError.
var constraintKinds = map[string]error{
	"23505": ErrUnique,     // unique_violation
	"23503": ErrForeignKey, // foreign_key_violation
	"23514": ErrCheck,      // check_violation
}

// translate turns the driver's errors into the store's; any other error is returned as it
// is. It is idempotent, and costs nothing on success.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if _, ok := errors.AsType[*ConstraintError](err); ok {
		return err
	}
	if pg, ok := errors.AsType[*pgconn.PgError](err); ok {
		if kind := constraintKinds[pg.Code]; kind != nil {
			return &ConstraintError{kind: kind, pg: pg}
		}
	}
	return err
}
