package account

import (
	"context"
	"errors"
	"strings"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Get returns the profile of an account of p's app; any user of the app may read it.
func (s *Service) Get(ctx context.Context, p *auth.Principal, userID string) (Account, error) {
	app, err := appOf(p)
	if err != nil {
		return Account{}, err
	}
	row, err := s.q.GetImAccount(ctx, db.GetImAccountParams{AppID: app.ID, UserID: userID})
	if errors.Is(err, postgres.ErrNotFound) {
		return Account{}, fault.NotFoundf("app %s has no IM account %s", app.Key, userID)
	}
	if err != nil {
		return Account{}, fault.Wrap(err, "load account")
	}
	return accountOf(row), nil
}

// Exists tells whether p's app has a live account userID.
func (s *Service) Exists(ctx context.Context, p *auth.Principal, userID string) (bool, error) {
	app, err := appOf(p)
	if err != nil {
		return false, err
	}
	ok, err := s.q.ImAccountExists(ctx, db.ImAccountExistsParams{AppID: app.ID, UserID: userID})
	return ok, fault.Wrap(err, "check account")
}

// Update changes the caller's own profile.
func (s *Service) Update(ctx context.Context, p *auth.Principal, userID string, change Profile) (Account, error) {
	app, err := appOf(p)
	if err != nil {
		return Account{}, err
	}
	if p.Kind != auth.KindIM || p.UserID != userID {
		return Account{}, fault.Forbiddenf("a user can change only his own profile")
	}
	if err := change.check(); err != nil {
		return Account{}, err
	}
	row, err := s.q.UpdateImAccountProfile(ctx, db.UpdateImAccountProfileParams{
		AppID: app.ID, UserID: userID, Nickname: change.Nickname, AvatarUrl: change.AvatarURL, Extra: change.Extra,
	})
	if errors.Is(err, postgres.ErrNotFound) {
		return Account{}, fault.NotFoundf("app %s has no IM account %s", app.Key, userID)
	}
	if err != nil {
		return Account{}, fault.Wrap(err, "update account")
	}
	return accountOf(row), nil
}

// Search finds the live accounts of p's app whose userId or nickname contains keyword,
// ignoring case.
func (s *Service) Search(ctx context.Context, p *auth.Principal, keyword string, r page.Request) (page.Page[Public], error) {
	app, err := appOf(p)
	if err != nil {
		return page.Page[Public]{}, err
	}
	keyword = strings.TrimSpace(keyword)
	if keyword == "" {
		return page.Page[Public]{}, fault.InvalidField("keyword", "must not be blank")
	}
	escaped := postgres.EscapeLike(keyword)
	rows, err := s.q.SearchImAccounts(ctx, db.SearchImAccountsParams{
		AppID: app.ID, Pattern: "%" + escaped + "%", Keyword: keyword, Prefix: escaped + "%",
		Lim: r.Limit(), Off: r.Offset(),
	})
	if err != nil {
		return page.Page[Public]{}, fault.Wrap(err, "search accounts")
	}
	total, err := s.q.CountImAccountSearch(ctx, db.CountImAccountSearchParams{AppID: app.ID, Pattern: "%" + escaped + "%"})
	if err != nil {
		return page.Page[Public]{}, fault.Wrap(err, "count accounts")
	}
	out := make([]Public, len(rows))
	for i, row := range rows {
		out[i] = Public{UserID: row.UserID, Nickname: row.Nickname, AvatarURL: row.AvatarUrl}
	}
	return page.Of(r, out, total), nil
}
