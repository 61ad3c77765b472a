package account

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// MaxBatch is the most accounts one batch import may carry.
const MaxBatch = 100

// Import is an account to import: its userId and the profile fields given.
type Import struct {
	UserID string
	Profile
}

func (in Import) check(field string) error {
	if err := checkUserID(field, in.UserID); err != nil {
		return err
	}
	return in.Profile.check()
}

// Outcome is what a batch import did with one item.
type Outcome string

// The outcomes of an item of a batch import.
const (
	Created Outcome = "CREATED"
	Updated Outcome = "UPDATED"
	Failed  Outcome = "ERROR"
)

// ItemResult reports one item of a batch import.
type ItemResult struct {
	UserID  string
	Outcome Outcome
	Message string // why it failed
}

// BatchResult reports a batch import, items in the order sent.
type BatchResult struct {
	Created, Updated, Failed int
	Items                    []ItemResult
}

// ImportOne creates an account. A live account of that userId is a conflict; a deleted one is
// created anew (empty but for the fields given), which is how a deleted account comes back.
func (s *Service) ImportOne(ctx context.Context, p *auth.Principal, in Import) (Account, error) {
	app, err := manage(p)
	if err != nil {
		return Account{}, err
	}
	if err := in.check("userId"); err != nil {
		return Account{}, err
	}
	var out db.ImAccount
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		var outcome Outcome
		out, outcome, err = s.put(ctx, q, app.ID, in, false)
		if err == nil && outcome == Updated {
			err = fault.Conflictf("app %s has an IM account %s already; the batch import updates accounts", app.Key, in.UserID)
		}
		if err != nil {
			return err
		}
		return s.queue(ctx, tx, []im.AppEvent{createdEvent(app.ID, in.UserID, sourceImport)})
	})
	if err != nil {
		return Account{}, fault.Wrap(err, "import account")
	}
	return accountOf(out), nil
}

// ImportBatch creates or updates up to MaxBatch accounts, each on its own: an item that is
// wrong is reported and the others are applied. A userId given twice: the first is applied.
func (s *Service) ImportBatch(ctx context.Context, p *auth.Principal, items []Import) (BatchResult, error) {
	app, err := manage(p)
	if err != nil {
		return BatchResult{}, err
	}
	switch {
	case len(items) == 0:
		return BatchResult{}, fault.Invalidf("the batch is empty")
	case len(items) > MaxBatch:
		return BatchResult{}, fault.Invalidf("a batch carries at most %d accounts, not %d", MaxBatch, len(items))
	}
	res := BatchResult{Items: make([]ItemResult, len(items))}
	var todo []int // indexes of the items to apply
	seen := make(map[string]bool, len(items))
	for i, in := range items {
		res.Items[i] = ItemResult{UserID: in.UserID}
		switch err := in.check("userId"); {
		case err != nil:
			res.Items[i].Outcome, res.Items[i].Message = Failed, fault.As(err).Message
		case seen[in.UserID]:
			res.Items[i].Outcome, res.Items[i].Message = Failed, "userId "+in.UserID+" is given twice in the batch; the first is applied"
		default:
			seen[in.UserID] = true
			todo = append(todo, i)
		}
	}
	// Rows are locked in userId order so that two batches that share accounts cannot deadlock.
	slices.SortFunc(todo, func(a, b int) int { return cmp.Compare(items[a].UserID, items[b].UserID) })
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		var events []im.AppEvent
		for _, i := range todo {
			_, outcome, err := s.put(ctx, q, app.ID, items[i], true)
			if err != nil {
				return err
			}
			res.Items[i].Outcome = outcome
			if outcome == Created {
				events = append(events, createdEvent(app.ID, items[i].UserID, sourceImport))
			}
		}
		return s.queue(ctx, tx, events)
	})
	if err != nil {
		return BatchResult{}, fault.Wrap(err, "import accounts")
	}
	for _, it := range res.Items {
		switch it.Outcome {
		case Created:
			res.Created++
		case Updated:
			res.Updated++
		default:
			res.Failed++
		}
	}
	return res, nil
}

// put creates the account, brings a deleted one back, or (when update is set) changes the
// fields given of a live one; without update a live account is left as it is.
func (s *Service) put(ctx context.Context, q *db.Queries, appID int64, in Import, update bool) (db.ImAccount, Outcome, error) {
	nickname, avatar, extra := in.fresh()
	row, err := q.InsertImAccount(ctx, db.InsertImAccountParams{AppID: appID, UserID: in.UserID, Nickname: nickname, AvatarUrl: avatar, Extra: extra})
	if err == nil {
		return row, Created, nil
	}
	if !errors.Is(err, postgres.ErrNotFound) {
		return row, "", err
	}
	row, err = q.LockImAccount(ctx, db.LockImAccountParams{AppID: appID, UserID: in.UserID})
	switch {
	case err != nil:
		return row, "", err
	case row.DeletedAt != nil:
		row, err = q.ReviveImAccount(ctx, db.ReviveImAccountParams{
			AppID: appID, UserID: in.UserID, Nickname: nickname, AvatarUrl: avatar, Extra: extra,
			// Truncated as tokens' iat is, so that a login right after the re-import, within
			// the same millisecond, gets a token that is not taken for an older one.
			ValidAfter: s.now().Truncate(time.Millisecond),
		})
		return row, Created, err
	case !update:
		return row, Updated, nil
	}
	row, err = q.UpdateImAccountProfile(ctx, db.UpdateImAccountProfileParams{
		AppID: appID, UserID: in.UserID, Nickname: in.Nickname, AvatarUrl: in.AvatarURL, Extra: in.Extra,
	})
	return row, Updated, err
}

// Delete deletes a live account: its tokens stop at once, its messages stay, and Options.Deletions
// is told so that its connections are closed.
func (s *Service) Delete(ctx context.Context, p *auth.Principal, userID string) error {
	app, err := manage(p)
	if err != nil {
		return err
	}
	n, err := s.deleteAccount(ctx, db.DeleteImAccountParams{AppID: app.ID, UserID: userID, ValidAfter: s.now().Truncate(time.Millisecond)})
	if err != nil {
		return fault.Wrap(err, "delete account")
	}
	if n == 0 {
		return fault.NotFoundf("app %s has no IM account %s", app.Key, userID)
	}
	s.authn.ForgetAccount(app.ID, userID) // this instance at once; Deletions tells the others
	if s.opts.Deletions != nil {
		s.opts.Deletions.AccountDeleted(ctx, app.ID, userID)
	}
	return nil
}
