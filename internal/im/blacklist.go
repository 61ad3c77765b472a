package im

import (
	"context"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// BlockedUser is an entry of a user's blacklist.
type BlockedUser struct {
	UserID    string
	Nickname  string
	AvatarURL string
	CreatedAt time.Time
}

// Block puts blocked on the caller's blacklist: he can no longer message the caller, send him
// friend requests or invite him to groups. Blocking him again returns the entry.
func (s *Service) Block(ctx context.Context, u User, blocked string) (BlockedUser, error) {
	switch {
	case !idPattern.MatchString(blocked):
		return BlockedUser{}, fault.InvalidField("blockedUserId", "must be a user id (1 to 64 of A-Z a-z 0-9 _ . @ -)")
	case blocked == u.UserID:
		return BlockedUser{}, fault.InvalidField("blockedUserId", "must be another user than you")
	}
	if err := checkAccounts(ctx, s.q, u.AppID, []string{blocked}); err != nil {
		return BlockedUser{}, err
	}
	if err := s.q.InsertBlock(ctx, db.InsertBlockParams{AppID: u.AppID, UserID: u.UserID, BlockedID: blocked}); err != nil {
		return BlockedUser{}, fault.Wrap(err, "block user")
	}
	r, err := s.q.GetBlock(ctx, db.GetBlockParams{AppID: u.AppID, UserID: u.UserID, BlockedID: blocked})
	if err != nil {
		return BlockedUser{}, fault.Wrap(err, "load blacklist entry")
	}
	return BlockedUser{UserID: r.BlockedID, Nickname: r.Nickname, AvatarURL: r.AvatarUrl, CreatedAt: r.CreatedAt}, nil
}

// Unblock takes blocked off the caller's blacklist.
func (s *Service) Unblock(ctx context.Context, u User, blocked string) error {
	n, err := s.q.DeleteBlock(ctx, db.DeleteBlockParams{AppID: u.AppID, UserID: u.UserID, BlockedID: blocked})
	if err != nil {
		return fault.Wrap(err, "unblock user")
	}
	if n == 0 {
		return fault.NotFoundf("%s is not on your blacklist", blocked)
	}
	return nil
}

// Blacklist lists the users the caller blocked, the most recent first.
func (s *Service) Blacklist(ctx context.Context, u User, p page.Request) (page.Page[BlockedUser], error) {
	out := page.Of[BlockedUser](p, nil, 0)
	var err error
	if out.Total, err = s.q.CountBlocks(ctx, db.CountBlocksParams{AppID: u.AppID, UserID: u.UserID}); err != nil {
		return out, fault.Wrap(err, "count blacklist")
	}
	rows, err := s.q.ListBlocks(ctx, db.ListBlocksParams{AppID: u.AppID, UserID: u.UserID, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load blacklist")
	}
	for _, r := range rows {
		out.Items = append(out.Items, BlockedUser{UserID: r.BlockedID, Nickname: r.Nickname, AvatarURL: r.AvatarUrl, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// checkReceiver holds when u may send to a one-to-one message: to has not blocked him and,
// where the app allows messages between friends only, the two are friends.
func (s *Service) checkReceiver(ctx context.Context, u User, to string) error {
	perm, err := s.q.GetSinglePermission(ctx, db.GetSinglePermissionParams{AppID: u.AppID, FromID: u.UserID, ToID: to})
	switch {
	case err != nil:
		return fault.Wrap(err, "load relationship")
	case perm.Blocked:
		return fault.Forbiddenf("%s has blocked you, so you cannot send them messages", to)
	case perm.FriendsOnly && !perm.Friends:
		return fault.Forbiddenf("this app allows one-to-one messages between friends only, and you and %s are not friends", to)
	}
	return nil
}

// checkInvitable holds when none of invitees has blocked u, who invites them to a group.
func (s *Service) checkInvitable(ctx context.Context, q *db.Queries, u User, invitees []string) error {
	if len(invitees) == 0 {
		return nil
	}
	blockers, err := q.ListBlockersAmong(ctx, db.ListBlockersAmongParams{AppID: u.AppID, BlockedID: u.UserID, UserIds: invitees})
	if err != nil {
		return fault.Wrap(err, "load blacklists")
	}
	if len(blockers) > 0 {
		return fault.Forbiddenf("%s has blocked you, so you cannot invite them to a group", blockers[0])
	}
	return nil
}
