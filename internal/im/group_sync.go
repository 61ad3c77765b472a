package im

import (
	"context"
	"encoding/json"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// GroupPositions are the user's groups for sync: each with the group event seq he joined
// at and the group's latest.
func (s *Service) GroupPositions(ctx context.Context, u User) ([]GroupPosition, error) {
	rows, err := s.q.ListUserGroupSeqs(ctx, db.ListUserGroupSeqsParams{AppID: u.AppID, UserID: u.UserID})
	if err != nil {
		return nil, fault.Wrap(err, "load groups")
	}
	out := make([]GroupPosition, len(rows))
	for i, r := range rows {
		out[i] = GroupPosition{GroupID: r.GroupID, JoinedSeq: r.JoinedSeq, LatestSeq: r.EventSeq}
	}
	return out, nil
}

// GroupEventsAfter returns up to limit of the group's events after seq, in order, and no
// more than fit in maxBytes of data (as EventsAfter): none when u is not a member, and none
// from before he joined. Message events show the message as it is now.
func (s *Service) GroupEventsAfter(ctx context.Context, u User, groupID string, after int64, limit, maxBytes int) ([]StoredEvent, error) {
	rows, err := s.q.ListGroupEventsAfter(ctx, db.ListGroupEventsAfterParams{AppID: u.AppID, GroupID: groupID, UserID: u.UserID,
		AfterSeq: after, MaxEvents: int32(limit), MaxBytes: int64(maxBytes)})
	if err != nil {
		return nil, fault.Wrap(err, "load group events")
	}
	page := newEventPage(len(rows), maxBytes)
	for _, r := range rows {
		e := StoredEvent{Seq: r.Seq, Type: r.Type, Data: r.Data}
		if r.MessageID != nil {
			n := r.GroupReadCount
			m := Message{
				ID: *r.MessageID, ClientMsgID: r.ClientMsgID, FromID: *r.FromID, ToID: *r.ToID, ChatType: Group,
				MsgType: MsgType(*r.MsgType), Content: *r.Content, Seq: *r.MessageSeq, CreatedAt: *r.MessageCreatedAt,
				EditedAt: r.EditedAt, Revoked: r.RevokedAt != nil, GroupReadCount: &n, GroupSeq: r.GroupSeq,
			}
			m.setRevoker(r.RevokedBy)
			var data any = m
			if r.Type == EventMessageRevoked && r.RevokedAt != nil {
				data = revokedData(m, *r.RevokedAt, deref(r.RevokedBy))
			}
			if e.Data, err = json.Marshal(data); err != nil {
				return nil, fault.Wrap(err, "encode event")
			}
		}
		if !page.add(e) {
			break
		}
	}
	return page.events, nil
}

// GroupMembers are a group's members now, with the group event seq of their latest
// change, for the member sets that instances cache to fan group events out.
func (s *Service) GroupMembers(ctx context.Context, appID int64, groupID string) (membersSeq int64, users []string, err error) {
	r, err := s.q.GetGroupMemberSet(ctx, db.GetGroupMemberSetParams{AppID: appID, GroupID: groupID})
	if noRows(err) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fault.Wrap(err, "load members")
	}
	return r.MembersSeq, r.UserIds, nil
}
