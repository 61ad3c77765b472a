package im

import (
	"context"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// AdminMessages is a page of the one-to-one messages between userA and userB, newest first.
func (s *Service) AdminMessages(ctx context.Context, a Admin, userA, userB string, p page.Request) (page.Page[Message], error) {
	if userA == userB {
		return page.Of[Message](p, nil, 0), fault.InvalidField("userB", "must be another user than userA")
	}
	return s.History(ctx, User{AppID: a.AppID, UserID: userA}, HistoryQuery{ChatType: Single, TargetID: userB, Page: p})
}

// AdminRevoke revokes any message of the app, however old; both sides (every member of a
// group) are told, with an empty revokedBy that says an administrator did it.
func (s *Service) AdminRevoke(ctx context.Context, a Admin, id int64) (Message, error) {
	var m Message
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		r, err := q.GetMessageForUpdate(ctx, db.GetMessageForUpdateParams{AppID: a.AppID, ID: id})
		if noRows(err) {
			return fault.NotFoundf("message %d does not exist", id)
		}
		if err != nil {
			return fault.Wrap(err, "load message")
		}
		row := db.GetMessageRow(r)
		if row.RevokedAt != nil {
			m, err = s.stored(ctx, q, row)
			return err
		}
		admin := ""
		at, err := q.RevokeMessage(ctx, db.RevokeMessageParams{AppID: a.AppID, ID: id, RevokedBy: &admin})
		if err != nil {
			return fault.Wrap(err, "revoke message")
		}
		row.Content, row.RevokedAt, row.RevokedBy = "", at, &admin
		if m, err = s.stored(ctx, q, row); err != nil {
			return err
		}
		if err := logAction(ctx, q, a, "message.revoke", "MESSAGE", strconv.FormatInt(id, 10),
			map[string]any{"fromId": m.FromID, "toId": m.ToID, "chatType": m.ChatType}); err != nil {
			return err
		}
		if err := s.messageEvent(ctx, q, out, a.AppID, EventMessageRevoked, row, &m, func(seq int64) any {
			if seq > 0 {
				m.GroupSeq = &seq
			}
			return revokedData(m, *at, admin)
		}); err != nil {
			return err
		}
		out.notify(a.AppID, WebhookMessageRevoked, revokedEvent{Message: m, Revoker: Actor{Type: a.ActorType, ID: a.ActorID}})
		return nil
	})
	return m, err
}

// AdminDissolve dissolves any group of the app; its members are told, by nobody (an
// administrator), and its history stays readable to the admin routes.
func (s *Service) AdminDissolve(ctx context.Context, a Admin, groupID string) error {
	var g db.GetGroupRow
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		nobody := User{AppID: a.AppID}
		var err error
		if g, _, err = s.lockedGroup(ctx, q, nobody, groupID); err != nil {
			return err
		}
		members, err := q.ListGroupMemberIDs(ctx, db.ListGroupMemberIDsParams{AppID: a.AppID, GroupID: groupID})
		if err != nil {
			return fault.Wrap(err, "load members")
		}
		if err := logAction(ctx, q, a, "group.dissolve", "GROUP", groupID, map[string]any{"name": g.Name, "ownerId": g.OwnerID, "memberCount": len(members)}); err != nil {
			return err
		}
		out.notify(a.AppID, WebhookGroupDissolved, map[string]any{"groupId": groupID, "name": g.Name, "ownerId": g.OwnerID})
		return s.dissolve(ctx, q, out, nobody, groupID)
	})
	return err
}
