package im

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Admin is who acts on an app's IM data from the admin routes: the app's tenant (its main,
// ADMIN and DEVELOPER accounts), an operator, or the app's back end.
type Admin struct {
	AppID     int64
	ActorType string // TENANT, OPS, APP_SERVER (USER for the users' own logged actions)
	ActorID   string
}

// Actor types of the operation log.
const (
	ActorTenant    = "TENANT"
	ActorOps       = "OPS"
	ActorAppServer = "APP_SERVER"
	ActorUser      = "USER"
)

// AdminOf checks that p may administer the IM data of the app it names.
func AdminOf(p *auth.Principal) (Admin, error) {
	if p == nil || p.App == nil {
		return Admin{}, fault.Invalidf("name the app with the appId query parameter")
	}
	if !p.CanManageApp(p.App.TenantID) {
		return Admin{}, fault.Forbiddenf("only the app's tenant, an operator or the app's back end may administer its IM data")
	}
	a := Admin{AppID: p.App.ID}
	switch p.Kind {
	case auth.KindTenant:
		if p.Role != auth.RoleMain && p.Role != auth.RoleAdmin && p.Role != auth.RoleDeveloper {
			return Admin{}, fault.Forbiddenf("a %s sub-account cannot administer the app's IM data; MAIN, ADMIN and DEVELOPER accounts can", p.Role)
		}
		a.ActorType, a.ActorID = ActorTenant, strconv.FormatInt(p.AccountID, 10)
	case auth.KindOps:
		a.ActorType, a.ActorID = ActorOps, strconv.FormatInt(p.OperatorID, 10)
	default:
		a.ActorType, a.ActorID = ActorAppServer, p.App.Key
	}
	return a, nil
}

// OperationLog is one entry of an app's IM operation log.
type OperationLog struct {
	ID         int64
	ActorType  string
	ActorID    string
	Action     string
	TargetType string
	TargetID   string
	Detail     map[string]any
	CreatedAt  time.Time
}

// logAction records an admin action (or a user's action on other people's state).
func logAction(ctx context.Context, q *db.Queries, a Admin, action, targetType, targetID string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return fault.Wrap(err, "encode log detail")
	}
	if err := q.InsertOperationLog(ctx, db.InsertOperationLogParams{AppID: a.AppID, ActorType: a.ActorType, ActorID: a.ActorID,
		Action: action, TargetType: targetType, TargetID: targetID, Detail: b}); err != nil {
		return fault.Wrap(err, "record operation")
	}
	return nil
}

// LogAction records an admin action done by another service (account import and deletion,
// webhooks).
func (s *Service) LogAction(ctx context.Context, a Admin, action, targetType, targetID string, detail map[string]any) error {
	return logAction(ctx, s.q, a, action, targetType, targetID, detail)
}

// userActor is a user acting on other people's state, as the log names him.
func userActor(u User) Admin { return Admin{AppID: u.AppID, ActorType: ActorUser, ActorID: u.UserID} }

// OperationLogs is the app's log, the newest first.
func (s *Service) OperationLogs(ctx context.Context, a Admin, p page.Request) (page.Page[OperationLog], error) {
	out := page.Of[OperationLog](p, nil, 0)
	var err error
	if out.Total, err = s.q.CountOperationLogs(ctx, a.AppID); err != nil {
		return out, fault.Wrap(err, "count operation logs")
	}
	rows, err := s.q.ListOperationLogs(ctx, db.ListOperationLogsParams{AppID: a.AppID, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load operation logs")
	}
	for _, r := range rows {
		l := OperationLog{ID: r.ID, ActorType: r.ActorType, ActorID: r.ActorID, Action: r.Action, TargetType: r.TargetType, TargetID: r.TargetID, CreatedAt: r.CreatedAt}
		_ = json.Unmarshal(r.Detail, &l.Detail)
		if l.Detail == nil {
			l.Detail = map[string]any{}
		}
		out.Items = append(out.Items, l)
	}
	return out, nil
}

// Settings are an app's IM rules.
type Settings struct {
	FriendsOnly bool
}

// Settings returns the app's IM rules.
func (s *Service) Settings(ctx context.Context, a Admin) (Settings, error) {
	fo, err := s.q.GetImSettings(ctx, a.AppID)
	if err != nil {
		return Settings{}, fault.Wrap(err, "load settings")
	}
	return Settings{FriendsOnly: fo}, nil
}

// UpdateSettings changes the rules given (nil keeps one).
func (s *Service) UpdateSettings(ctx context.Context, a Admin, friendsOnly *bool) (Settings, error) {
	var out Settings
	err := s.inTx(ctx, func(q *db.Queries, _ *outbox) error {
		fo, err := q.UpsertImSettings(ctx, db.UpsertImSettingsParams{AppID: a.AppID, FriendsOnly: friendsOnly})
		if err != nil {
			return fault.Wrap(err, "store settings")
		}
		out.FriendsOnly = fo
		return logAction(ctx, q, a, "settings.update", "SETTINGS", strconv.FormatInt(a.AppID, 10), map[string]any{"friendsOnly": fo})
	})
	return out, err
}

// AdminUser is an account as the app's administrators see it.
type AdminUser struct {
	UserID    string
	Nickname  string
	AvatarURL string
	CreatedAt time.Time
	DeletedAt *time.Time
	Online    bool
}

// Presence tells which users have a live connection on any instance (presence.Tracker).
type Presence interface {
	Online(ctx context.Context, appID int64, userIDs []string) ([]string, error)
}

func containsPattern(keyword string) *string {
	if p := postgres.ContainsPattern(keyword); p != "" {
		return &p
	}
	return nil
}

// AdminUsers lists the app's accounts, the newest first.
func (s *Service) AdminUsers(ctx context.Context, a Admin, keyword string, includeDeleted bool, p page.Request) (page.Page[AdminUser], error) {
	out := page.Of[AdminUser](p, nil, 0)
	pattern := containsPattern(keyword)
	var err error
	if out.Total, err = s.q.AdminCountImAccounts(ctx, db.AdminCountImAccountsParams{AppID: a.AppID, IncludeDeleted: includeDeleted, Pattern: pattern}); err != nil {
		return out, fault.Wrap(err, "count accounts")
	}
	rows, err := s.q.AdminListImAccounts(ctx, db.AdminListImAccountsParams{AppID: a.AppID, IncludeDeleted: includeDeleted, Pattern: pattern, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load accounts")
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	online := map[string]bool{}
	if s.opts.Presence != nil {
		live, err := s.opts.Presence.Online(ctx, a.AppID, ids)
		if err != nil {
			return out, fault.Wrap(err, "load presence")
		}
		for _, id := range live {
			online[id] = true
		}
	}
	for _, r := range rows {
		out.Items = append(out.Items, AdminUser{UserID: r.UserID, Nickname: r.Nickname, AvatarURL: r.AvatarUrl, CreatedAt: r.CreatedAt,
			DeletedAt: r.DeletedAt, Online: online[r.UserID] && r.DeletedAt == nil})
	}
	return out, nil
}

// AdminGroup is a group as the app's administrators see it.
type AdminGroup struct {
	GroupID     string
	Name        string
	OwnerID     string
	MemberCount int32
	CreatedAt   time.Time
	DissolvedAt *time.Time
}

// AdminGroups lists the app's groups, the newest first.
func (s *Service) AdminGroups(ctx context.Context, a Admin, keyword string, includeDissolved bool, p page.Request) (page.Page[AdminGroup], error) {
	out := page.Of[AdminGroup](p, nil, 0)
	pattern := containsPattern(keyword)
	var err error
	if out.Total, err = s.q.AdminCountGroups(ctx, db.AdminCountGroupsParams{AppID: a.AppID, IncludeDissolved: includeDissolved, Pattern: pattern}); err != nil {
		return out, fault.Wrap(err, "count groups")
	}
	rows, err := s.q.AdminListGroups(ctx, db.AdminListGroupsParams{AppID: a.AppID, IncludeDissolved: includeDissolved, Pattern: pattern, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load groups")
	}
	for _, r := range rows {
		out.Items = append(out.Items, AdminGroup{GroupID: r.GroupID, Name: r.Name, OwnerID: r.OwnerID, MemberCount: r.MemberCount, CreatedAt: r.CreatedAt, DissolvedAt: r.DissolvedAt})
	}
	return out, nil
}

// AccountsChanged records accounts imported ("account.import") or deleted ("account.delete")
// by an administrator, which the accounts service has done (and queued their webhook
// deliveries with). The change is committed already, so a failure to record it is the
// caller's to log.
func (s *Service) AccountsChanged(ctx context.Context, a Admin, action string, userIDs, created []string) error {
	target, detail := "", map[string]any{}
	if len(userIDs) == 1 {
		target = userIDs[0]
	} else {
		target, detail["userIds"] = "batch", userIDs
	}
	detail["created"] = len(created)
	return logAction(ctx, s.q, a, action, "ACCOUNT", target, detail)
}
