package tenant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/ratelimit"
)

// Purposes of mailed codes; a code of one purpose never answers another.
const (
	PurposeRegister      = "REGISTER"
	PurposeResetPassword = "RESET_PASSWORD"
	PurposeSubAccount    = "SUB_ACCOUNT"
)

// Lifetimes and limits of mailed secrets.
const (
	CodeTTL  = 10 * time.Minute
	ResetTTL = 30 * time.Minute
)

func validPurpose(p string) bool {
	return p == PurposeRegister || p == PurposeResetPassword || p == PurposeSubAccount
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// mailLimits: one mail per address and purpose a minute (a sign-up code does not hold back a
// password reset) and, for the public routes, 20 per client address (addr, when not "") an hour.
func mailLimits(email, purpose, addr string) []ratelimit.Limit {
	ls := []ratelimit.Limit{{Bucket: "mail-address:" + purpose + ":" + email, Max: 1, Window: time.Minute,
		Message: "a mail of this kind was sent to this address less than a minute ago"}}
	if addr != "" {
		ls = append(ls, ratelimit.Limit{Bucket: "mail-ip:" + addr, Max: 20, Window: time.Hour,
			Message: "too many mails requested from this address"})
	}
	return ls
}

// mailCode makes the address's new code of purpose, replacing the previous one, and mails it.
// Run it inside the transaction that took the mail limits: a failed delivery undoes both.
func (s *Service) mailCode(ctx context.Context, tx db.Querier, email, purpose string) error {
	code := newCode()
	err := tx.PutEmailCode(ctx, db.PutEmailCodeParams{Email: email, Purpose: purpose, CodeHash: hashSecret(code), ExpiresAt: s.now().Add(CodeTTL)})
	if err != nil {
		return fault.Wrap(err, "store e-mail code")
	}
	return fault.Wrap(s.mail.Send(ctx, codeMail(email, purpose, code)), "send e-mail code")
}

var errWrongCode = fault.InvalidField("code", "the code is wrong, expired or used; ask for a new one")

// checkCode tells whether code is the address's valid code of purpose, without using it up.
// The answer is counted as it is judged, atomically: the fifth wrong one makes the code
// useless, however many arrive at once.
func (s *Service) checkCode(ctx context.Context, email, purpose, code string) error {
	ok, err := s.q.TryEmailCode(ctx, db.TryEmailCodeParams{Email: email, Purpose: purpose, CodeHash: hashSecret(code), Now: s.now()})
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return errWrongCode
	case err != nil:
		return fault.Wrap(err, "check e-mail code")
	case !ok:
		return errWrongCode
	}
	return nil
}

// useCode uses the code up inside tx; call checkCode first, so that wrong answers are counted.
func (s *Service) useCode(ctx context.Context, tx db.Querier, email, purpose, code string) error {
	n, err := tx.UseEmailCode(ctx, db.UseEmailCodeParams{Email: email, Purpose: purpose, CodeHash: hashSecret(code), Now: s.now()})
	if err != nil {
		return fault.Wrap(err, "use e-mail code")
	}
	if n == 0 { // used by a concurrent request since checkCode
		return errWrongCode
	}
	return nil
}
