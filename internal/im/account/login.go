package account

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// LoginRequirement is what POST /api/im/auth/login accepts: only an app-server signature, made
// with the AppSecret, for an app whose IM service is on.
var LoginRequirement = auth.Requirement{Schemes: []auth.Scheme{auth.SchemeSignature}, Service: "IM"}

// Token is an IM token and when it expires.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

// Login issues an IM token for userID to p, the app's back end whose signature the caller has
// checked. An account that does not exist yet is created with an empty profile; a deleted
// account is refused until the app imports it again, so that a back end that still logs in a
// removed user does not bring it back by accident.
func (s *Service) Login(ctx context.Context, p *auth.Principal, userID string) (Token, error) {
	if p == nil || p.Kind != auth.KindAppServer || p.App == nil {
		return Token{}, fault.Forbiddenf("IM login needs the app back end's signature")
	}
	if err := checkUserID("userId", userID); err != nil {
		return Token{}, err
	}
	app := p.App
	err := s.insertOnLogin(ctx, app.ID, userID)
	if errors.Is(err, postgres.ErrNotFound) { // the account exists: it must not be deleted
		var deletedAt *time.Time
		deletedAt, err = s.q.GetImAccountState(ctx, db.GetImAccountStateParams{AppID: app.ID, UserID: userID})
		if err == nil && deletedAt != nil {
			return Token{}, fault.Forbiddenf("the IM account %s was deleted; import it again (POST /api/im/accounts/import) to let it log in", userID)
		}
	}
	if err != nil {
		return Token{}, fault.Wrap(err, "create account on login")
	}
	token, exp, err := s.authn.Tokens().Issue(auth.Claims{Typ: auth.KindIM, TenantID: app.TenantID, AppID: app.ID, AppKeyClaim: app.Key}, userID)
	if err != nil {
		return Token{}, err
	}
	return Token{Token: token, ExpiresAt: exp}, nil
}

// SignedLogin checks a signed IM login request exactly as the route's gate does (signature
// with the AppSecret, time window, nonce, tenant and IM service switches) and logs in the
// userId of its query. The demo service signs its users' logins and comes through here.
func (s *Service) SignedLogin(ctx context.Context, c auth.Credentials) (Token, error) {
	p, err := s.authn.Authenticate(ctx, LoginRequirement, c)
	if err != nil {
		return Token{}, err
	}
	query, err := url.ParseQuery(c.Signed.RawQuery)
	if err != nil {
		return Token{}, fault.Invalidf("the query of the signed request cannot be parsed")
	}
	return s.Login(ctx, p, query.Get("userId"))
}
