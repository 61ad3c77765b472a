// Package account is the IM accounts of an app: login (an IM token for the app's user, signed
// for by the app's back end), profiles, search, import and deletion.
package account

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Limits of a profile, as the contract states them.
const (
	MaxNickname  = 64   // characters
	MaxAvatarURL = 2048 // bytes
	MaxExtra     = 8192 // bytes of the encoded JSON object
)

var userIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

// Account is an IM user's profile.
type Account struct {
	UserID    string
	Nickname  string
	AvatarURL string
	Extra     json.RawMessage // a JSON object, {} when never set
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Public is what anyone may see of an account.
type Public struct {
	UserID    string
	Nickname  string
	AvatarURL string
}

// Service keeps the IM accounts.
type Service struct {
	pool  *pgxpool.Pool
	q     db.Querier
	authn *auth.Authenticator
	now   func() time.Time
	opts  Options
}

// Options wire the service to the other areas; either may be nil.
type Options struct {
	// Deletions is told of every account deleted, after the deletion is committed, so that
	// live connections of the account can be closed.
	Deletions Deletions
	// Events queues account.created and account.deleted for the app's webhooks in the
	// transactions that create and delete accounts.
	Events im.Notifier
}

// Deletions is told of the committed deletions of accounts. It runs on the caller's path.
type Deletions interface {
	AccountDeleted(ctx context.Context, appID int64, userID string)
}

// New returns the service; authn checks signed logins and signs the IM tokens.
func New(pool *pgxpool.Pool, authn *auth.Authenticator, opts Options) *Service {
	return &Service{pool: pool, q: postgres.Queries(pool), authn: authn, now: time.Now, opts: opts}
}

// Existing returns which of userIDs are live accounts of the app, for services that act on
// many users at once (group members, push targets).
func (s *Service) Existing(ctx context.Context, appID int64, userIDs []string) ([]string, error) {
	ids, err := s.q.ListLiveImAccountIDs(ctx, db.ListLiveImAccountIDsParams{AppID: appID, UserIds: userIDs})
	return ids, fault.Wrap(err, "list accounts")
}

func accountOf(row db.ImAccount) Account {
	return Account{
		UserID: row.UserID, Nickname: row.Nickname, AvatarURL: row.AvatarUrl, Extra: row.Extra,
		CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
	}
}

func checkUserID(field, id string) error {
	if !userIDPattern.MatchString(id) {
		return fault.InvalidField(field, "a userId is 1 to 64 letters, digits or _ . @ -")
	}
	return nil
}

// Profile is a change of profile fields; nil fields keep their value.
type Profile struct {
	Nickname  *string
	AvatarURL *string
	Extra     json.RawMessage // nil: keep; else a JSON object that replaces the old one
}

func (p Profile) check() error {
	if p.Nickname != nil && utf8.RuneCountInString(*p.Nickname) > MaxNickname {
		return fault.InvalidField("nickname", "at most %d characters", MaxNickname)
	}
	if p.AvatarURL != nil && len(*p.AvatarURL) > MaxAvatarURL {
		return fault.InvalidField("avatarUrl", "at most %d bytes", MaxAvatarURL)
	}
	if p.Extra != nil {
		if len(p.Extra) > MaxExtra {
			return fault.InvalidField("extra", "at most %d bytes once encoded as JSON", MaxExtra)
		}
		if trimmed := bytes.TrimSpace(p.Extra); len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
			return fault.InvalidField("extra", "must be a JSON object")
		}
	}
	return nil
}

// fresh is the profile of a new account: the fields given, the rest empty.
func (p Profile) fresh() (nickname, avatarURL string, extra json.RawMessage) {
	extra = json.RawMessage(`{}`)
	if p.Nickname != nil {
		nickname = *p.Nickname
	}
	if p.AvatarURL != nil {
		avatarURL = *p.AvatarURL
	}
	if p.Extra != nil {
		extra = p.Extra
	}
	return nickname, avatarURL, extra
}

// appOf is the app a request names; the gate has set it on every IM route.
func appOf(p *auth.Principal) (*auth.App, error) {
	if p == nil || p.App == nil {
		return nil, fault.Invalidf("name the app with the appId query parameter")
	}
	return p.App, nil
}

// manage checks that p may manage the accounts of the app it names: the app's tenant (not a
// VIEWER), an operator or the app's own back end.
func manage(p *auth.Principal) (*auth.App, error) {
	app, err := appOf(p)
	if err != nil {
		return nil, err
	}
	if !p.CanManageApp(app.TenantID) {
		return nil, fault.Forbiddenf("only the app's tenant, an operator or the app's back end may manage its IM accounts")
	}
	if p.Kind == auth.KindTenant && p.Role == auth.RoleViewer {
		return nil, fault.Forbiddenf("a VIEWER sub-account cannot change anything")
	}
	return app, nil
}
