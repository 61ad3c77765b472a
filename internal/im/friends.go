package im

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// The user events of friendship: a request made or answered, a friendship ended.
const (
	EventFriend        = "friend.request"
	EventFriendDeleted = "friend.deleted"
)

// Request states, of friend and group join requests alike.
const (
	RequestPending  = "PENDING"
	RequestAccepted = "ACCEPTED"
	RequestRejected = "REJECTED"
)

// MaxRemark is the longest remark of a friend or join request, in characters.
const MaxRemark = 200

// FriendRequest is a request to be friends. Its JSON is the friend.request event's data.
type FriendRequest struct {
	ID         int64      `json:"requestId,string"`
	FromUserID string     `json:"fromUserId"`
	ToUserID   string     `json:"toUserId"`
	Remark     string     `json:"remark"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"createdAt"`
	HandledAt  *time.Time `json:"handledAt"`
}

// Friend is one of a user's friends.
type Friend struct {
	UserID    string
	Nickname  string
	AvatarURL string
	Remark    string
	CreatedAt time.Time
}

func friendRequestOf(r db.ImFriendRequest) FriendRequest {
	return FriendRequest{ID: r.ID, FromUserID: r.FromID, ToUserID: r.ToID, Remark: r.Remark, Status: r.Status, CreatedAt: r.CreatedAt, HandledAt: r.HandledAt}
}

func checkRemark(remark string) error {
	if utf8.RuneCountInString(remark) > MaxRemark {
		return fault.InvalidField("remark", "must be at most %d characters long", MaxRemark)
	}
	return nil
}

// SendFriendRequest asks to be friends with to; to is told live.
func (s *Service) SendFriendRequest(ctx context.Context, u User, to, remark string) (FriendRequest, error) {
	switch {
	case !idPattern.MatchString(to):
		return FriendRequest{}, fault.InvalidField("toUserId", "must be a user id (1 to 64 of A-Z a-z 0-9 _ . @ -)")
	case to == u.UserID:
		return FriendRequest{}, fault.InvalidField("toUserId", "must be another user than you")
	}
	if err := checkRemark(remark); err != nil {
		return FriendRequest{}, err
	}
	var fr FriendRequest
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		if err := checkAccounts(ctx, q, u.AppID, []string{to}); err != nil {
			return err
		}
		perm, err := q.GetSinglePermission(ctx, db.GetSinglePermissionParams{AppID: u.AppID, FromID: u.UserID, ToID: to})
		switch {
		case err != nil:
			return fault.Wrap(err, "load relationship")
		case perm.Blocked:
			return fault.Forbiddenf("%s has blocked you, so you cannot send them a friend request", to)
		case perm.Friends:
			return fault.Conflictf("you and %s are friends already", to)
		}
		row, err := q.InsertFriendRequest(ctx, db.InsertFriendRequestParams{AppID: u.AppID, FromID: u.UserID, ToID: to, Remark: remark})
		if noRows(err) {
			open, err := q.GetPendingFriendRequestBetween(ctx, db.GetPendingFriendRequestBetweenParams{AppID: u.AppID, A: u.UserID, B: to})
			if err == nil && open.FromID == to {
				return fault.Conflictf("%s has sent you a friend request already (request %d); accept it instead", to, open.ID)
			}
			return fault.Conflictf("you have sent %s a friend request already; wait for the answer", to)
		}
		if err != nil {
			return fault.Wrap(err, "store friend request")
		}
		fr = friendRequestOf(row)
		if err := s.friendEvent(ctx, q, out, u.AppID, EventFriend, sortedPair(fr.FromUserID, fr.ToUserID), fr); err != nil {
			return err
		}
		out.notify(u.AppID, WebhookFriendRequested, fr)
		return nil
	})
	return fr, err
}

// friendEvent stores the user event typ with data v for both users of a pair (the caller's
// other devices too), who get it live and in sync.
func (s *Service) friendEvent(ctx context.Context, q *db.Queries, out *outbox, appID int64, typ string, pair []string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fault.Wrap(err, "encode "+typ+" event")
	}
	if err := s.lockUsers(ctx, q, appID, pair...); err != nil {
		return err
	}
	return s.store(ctx, q, out, appID, typ, pair, nil, data)
}

// AnswerFriendRequest accepts or rejects a request sent to the caller; the sender is told live.
func (s *Service) AnswerFriendRequest(ctx context.Context, u User, id int64, accept bool) (FriendRequest, error) {
	var fr FriendRequest
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		row, err := q.LockFriendRequest(ctx, db.LockFriendRequestParams{AppID: u.AppID, ID: id})
		switch {
		case noRows(err):
			return fault.NotFoundf("friend request %d does not exist", id)
		case err != nil:
			return fault.Wrap(err, "load friend request")
		case row.ToID != u.UserID:
			return fault.Forbiddenf("only %s, who received friend request %d, may answer it", row.ToID, id)
		case row.Status != RequestPending:
			return fault.Conflictf("friend request %d was %s already", id, lower(row.Status))
		}
		status := RequestRejected
		if accept {
			status = RequestAccepted
			if err := q.AddFriendship(ctx, db.AddFriendshipParams{AppID: u.AppID, A: row.FromID, B: row.ToID, Remark: row.Remark}); err != nil {
				return fault.Wrap(err, "store friendship")
			}
		}
		if row, err = q.HandleFriendRequest(ctx, db.HandleFriendRequestParams{ID: id, Status: status}); err != nil {
			return fault.Wrap(err, "answer friend request")
		}
		fr = friendRequestOf(row)
		if err := s.friendEvent(ctx, q, out, u.AppID, EventFriend, sortedPair(fr.FromUserID, fr.ToUserID), fr); err != nil {
			return err
		}
		if accept {
			out.notify(u.AppID, WebhookFriendAdded, map[string]any{"userIds": sortedPair(fr.FromUserID, fr.ToUserID), "requestId": strconv.FormatInt(fr.ID, 10)})
		} else {
			out.notify(u.AppID, WebhookFriendRejected, fr)
		}
		return nil
	})
	return fr, err
}

func lower(status string) string {
	switch status {
	case RequestAccepted:
		return "accepted"
	case RequestRejected:
		return "rejected"
	}
	return status
}

// FriendRequests lists requests the caller received (or sent, when outgoing), newest first.
func (s *Service) FriendRequests(ctx context.Context, u User, outgoing bool, status string, p page.Request) (page.Page[FriendRequest], error) {
	out := page.Of[FriendRequest](p, nil, 0)
	var st *string
	if status != "" {
		st = &status
	}
	var err error
	if out.Total, err = s.q.CountFriendRequests(ctx, db.CountFriendRequestsParams{AppID: u.AppID, Outgoing: outgoing, UserID: u.UserID, Status: st}); err != nil {
		return out, fault.Wrap(err, "count friend requests")
	}
	rows, err := s.q.ListFriendRequests(ctx, db.ListFriendRequestsParams{AppID: u.AppID, Outgoing: outgoing, UserID: u.UserID, Status: st, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load friend requests")
	}
	for _, r := range rows {
		out.Items = append(out.Items, friendRequestOf(r))
	}
	return out, nil
}

// Friends lists the caller's friends, the most recent friendship first.
func (s *Service) Friends(ctx context.Context, u User, p page.Request) (page.Page[Friend], error) {
	out := page.Of[Friend](p, nil, 0)
	var err error
	if out.Total, err = s.q.CountFriends(ctx, db.CountFriendsParams{AppID: u.AppID, UserID: u.UserID}); err != nil {
		return out, fault.Wrap(err, "count friends")
	}
	rows, err := s.q.ListFriends(ctx, db.ListFriendsParams{AppID: u.AppID, UserID: u.UserID, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load friends")
	}
	for _, r := range rows {
		out.Items = append(out.Items, Friend{UserID: r.FriendID, Nickname: r.Nickname, AvatarURL: r.AvatarUrl, Remark: r.Remark, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// FriendDeleted is the friend.deleted event's data (and the friend.deleted webhook's).
type FriendDeleted struct {
	UserIDs   []string `json:"userIds"`
	DeletedBy string   `json:"deletedBy"`
}

// DeleteFriend ends a friendship on both sides; conversations and history stay. Both users
// (the caller's other devices too) get a friend.deleted user event, live and in sync.
func (s *Service) DeleteFriend(ctx context.Context, u User, friend string) error {
	return s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		n, err := q.DeleteFriendship(ctx, db.DeleteFriendshipParams{AppID: u.AppID, A: u.UserID, B: friend})
		if err != nil {
			return fault.Wrap(err, "delete friendship")
		}
		if n == 0 {
			return fault.NotFoundf("%s is not your friend", friend)
		}
		ev := FriendDeleted{UserIDs: sortedPair(u.UserID, friend), DeletedBy: u.UserID}
		if err := s.friendEvent(ctx, q, out, u.AppID, EventFriendDeleted, ev.UserIDs, ev); err != nil {
			return err
		}
		out.notify(u.AppID, WebhookFriendDeleted, ev)
		return nil
	})
}

// ParseRequestID reads the decimal id of a friend or join request.
func ParseRequestID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.InvalidField("requestId", "must be a request id (a string of digits)")
	}
	return id, nil
}
