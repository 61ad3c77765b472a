package tenant

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/password"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/ratelimit"
)

// ForgotPassword mails a reset token when the address has an account, and answers the same
// either way.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	email = normalEmail(email)
	if err := checkEmail("email", email); err != nil {
		return err
	}
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		now := s.now()
		if err := ratelimit.Take(ctx, q, now, mailLimits(email, PurposeResetPassword, auth.ClientAddr(ctx))...); err != nil {
			return err
		}
		row, err := q.GetTenantAccountByEmail(ctx, email)
		switch {
		case errors.Is(err, postgres.ErrNotFound):
			return nil
		case err != nil:
			return fault.Wrap(err, "look up account")
		}
		token := auth.RandomHex(32)
		err = q.PutPasswordReset(ctx, db.PutPasswordResetParams{TokenHash: hashSecret(token), AccountID: row.ID, ExpiresAt: now.Add(ResetTTL)})
		if err != nil {
			return fault.Wrap(err, "store reset token")
		}
		if err := audit.Record(ctx, q, nil, audit.Entry{Action: "account.forgot-password", TenantID: row.TenantID, TargetType: "account", TargetID: row.ID}); err != nil {
			return err
		}
		return fault.Wrap(s.mail.Send(ctx, resetMail(email, token)), "send reset mail")
	})
}

// PasswordReset sets a new password with a mailed secret: Token (from ForgotPassword), or
// Email with Code (a RESET_PASSWORD code).
type PasswordReset struct {
	Token    string
	Email    string
	Code     string
	Password string
}

// resetLimit bounds reset attempts per client address, taken before the token or code is
// judged.
func resetLimit(addr string) ratelimit.Limit {
	return ratelimit.Limit{Bucket: "reset-ip:" + addr, Max: 20, Window: 15 * time.Minute,
		Message: "too many password resets from this address"}
}

// ResetPassword sets a new password, uses the token or code up and ends the account's earlier
// sessions. The token or code is checked before the new password is hashed: a bogus reset
// costs a look-up, never an Argon2 hash.
func (s *Service) ResetPassword(ctx context.Context, r PasswordReset) error {
	if err := checkPassword(r.Password); err != nil {
		return err
	}
	email := normalEmail(r.Email)
	if r.Token == "" && (email == "" || r.Code == "") {
		return fault.InvalidField("token", "give the reset token from the mail, or email with the RESET_PASSWORD code")
	}
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		return ratelimit.Take(ctx, postgres.Queries(tx), s.now(), resetLimit(auth.ClientAddr(ctx)))
	})
	if err != nil {
		return err
	}
	if r.Token != "" {
		live, err := s.q.LivePasswordReset(ctx, db.LivePasswordResetParams{TokenHash: hashSecret(r.Token), Now: s.now()})
		if err != nil {
			return fault.Wrap(err, "look up reset token")
		}
		if !live {
			return errBadResetToken
		}
	} else if err := s.checkCode(ctx, email, PurposeResetPassword, r.Code); err != nil {
		return err
	}
	hash, err := password.Hash(r.Password)
	if err != nil {
		return fault.Wrap(err, "hash password")
	}
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		now := s.now()
		var id int64
		if r.Token != "" {
			id, err = q.UsePasswordReset(ctx, db.UsePasswordResetParams{TokenHash: hashSecret(r.Token), Now: now})
			switch {
			case errors.Is(err, postgres.ErrNotFound): // used by a concurrent request since the look-up
				return errBadResetToken
			case err != nil:
				return fault.Wrap(err, "use reset token")
			}
		} else {
			if err := s.useCode(ctx, q, email, PurposeResetPassword, r.Code); err != nil {
				return err
			}
			acc, err := q.GetTenantAccountByEmail(ctx, email)
			if err != nil { // a code is only mailed to an address with an account
				return fault.Wrap(err, "look up account")
			}
			id = acc.ID
		}
		// Milliseconds, as tokens' iat: a sign-in right after the reset is not refused.
		err = q.SetTenantAccountPassword(ctx, db.SetTenantAccountPasswordParams{ID: id, PasswordHash: hash, TokensValidAfter: now.Truncate(time.Millisecond)})
		if err != nil {
			return fault.Wrap(err, "set password")
		}
		acc, err := q.GetTenantAccount(ctx, id)
		if err != nil {
			return fault.Wrap(err, "load account")
		}
		if err := s.logins.Reset(ctx, q, acc.Email); err != nil {
			return err
		}
		return audit.Record(ctx, q, nil, audit.Entry{Action: "account.reset-password", TenantID: acc.TenantID, TargetType: "account", TargetID: id})
	})
}

var errBadResetToken = fault.InvalidField("token", "the reset token is unknown, expired or used; ask for a new one")
