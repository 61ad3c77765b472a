package im

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Join policies of a group.
const (
	JoinFree     = "FREE"
	JoinApproval = "APPROVAL"
	JoinClosed   = "CLOSED"
)

// Group events of join requests.
const (
	groupJoinRequested = "JOIN_REQUESTED"
	groupJoinRejected  = "JOIN_REJECTED"
)

// JoinRequest is a request to join a group.
type JoinRequest struct {
	ID        int64
	GroupID   string
	UserID    string
	Remark    string
	Status    string
	CreatedAt time.Time
	HandledBy *string
	HandledAt *time.Time
}

func joinRequestOf(r db.ImGroupJoinRequest) JoinRequest {
	return JoinRequest{ID: r.ID, GroupID: r.GroupID, UserID: r.UserID, Remark: r.Remark, Status: r.Status, CreatedAt: r.CreatedAt, HandledBy: r.HandledBy, HandledAt: r.HandledAt}
}

// joinEvent is a group.event about a join request for recipients.
func (s *Service) joinEvent(ctx context.Context, q *db.Queries, out *outbox, u User, event string, r JoinRequest, recipients []string) error {
	data, err := json.Marshal(groupEvent{GroupID: r.GroupID, Event: event, OperatorID: u.UserID, UserIDs: []string{r.UserID}, RequestID: strconv.FormatInt(r.ID, 10)})
	if err != nil {
		return fault.Wrap(err, "encode group event")
	}
	return s.store(ctx, q, out, u.AppID, EventGroup, sortedCopy(recipients), nil, data)
}

// admit makes userID a member of a group (locked chat, member limit) and tells the members.
func (s *Service) admit(ctx context.Context, q *db.Queries, out *outbox, u User, groupID, userID string) error {
	rules, err := q.GetGroupRules(ctx, db.GetGroupRulesParams{AppID: u.AppID, GroupID: groupID})
	if err != nil {
		return fault.Wrap(err, "load group")
	}
	if rules.MemberCount >= s.opts.GroupMaxMembers {
		return fault.Forbiddenf("group %s is full: it has %d members, the most a group may have", groupID, rules.MemberCount)
	}
	chat, err := q.EnsureChat(ctx, db.EnsureChatParams{AppID: u.AppID, ChatType: string(Group), ChatKey: groupID})
	if err != nil {
		return fault.Wrap(err, "load chat")
	}
	locked, err := q.LockChat(ctx, chat.ID)
	if err != nil {
		return fault.Wrap(err, "lock chat")
	}
	// He joins at the group event that adds him, the next one: the chat is locked.
	joined := locked.EventSeq + 1
	added, err := q.AddGroupMembers(ctx, db.AddGroupMembersParams{AppID: u.AppID, GroupID: groupID, Role: RoleMember, JoinedSeq: joined, UserIds: []string{userID}})
	if err != nil {
		return fault.Wrap(err, "add member")
	}
	if len(added) == 0 {
		return nil
	}
	if err := q.InsertConversations(ctx, db.InsertConversationsParams{AppID: u.AppID, ChatType: string(Group), TargetID: groupID, ChatID: chat.ID, ReadSeq: locked.LastSeq, UserIds: added}); err != nil {
		return fault.Wrap(err, "create conversation")
	}
	if err := q.RecountGroupMembers(ctx, db.RecountGroupMembersParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return fault.Wrap(err, "count members")
	}
	row, err := s.loadGroup(ctx, q, u, groupID)
	if err != nil {
		return err
	}
	g := groupInfo(row)
	seq, err := s.groupNotice(ctx, q, out, u, groupID, groupMembersAdded, added, &g, true, added)
	if err != nil {
		return err
	}
	return s.memberEvent(ctx, q, out, u, groupID, groupMembersAdded, seq, added, added, &g)
}

// RequestToJoin asks to join a public group: a FREE group takes the caller at once, an
// APPROVAL group keeps the request for its owner and admins, a CLOSED one refuses.
func (s *Service) RequestToJoin(ctx context.Context, u User, groupID, remark string) (JoinRequest, error) {
	if err := checkRemark(remark); err != nil {
		return JoinRequest{}, err
	}
	var jr JoinRequest
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		g, err := s.loadGroup(ctx, q, u, groupID)
		if err != nil {
			return err
		}
		rules, err := q.GetGroupRules(ctx, db.GetGroupRulesParams{AppID: u.AppID, GroupID: groupID})
		switch {
		case err != nil:
			return fault.Wrap(err, "load group")
		case g.CallerRole != "":
			return fault.Conflictf("you are a member of group %s already", groupID)
		case !g.Public:
			return fault.Forbiddenf("group %s is not public; only public groups take join requests", groupID)
		case rules.JoinPolicy == JoinClosed:
			return fault.Forbiddenf("group %s is closed: it takes no join requests", groupID)
		case rules.MemberCount >= s.opts.GroupMaxMembers:
			return fault.Forbiddenf("group %s is full: it has %d members, the most a group may have", groupID, rules.MemberCount)
		}
		status := RequestPending
		if rules.JoinPolicy == JoinFree {
			status = RequestAccepted
		}
		row, err := q.InsertGroupJoinRequest(ctx, db.InsertGroupJoinRequestParams{AppID: u.AppID, GroupID: groupID, UserID: u.UserID, Remark: remark, Status: status})
		if noRows(err) {
			return fault.Conflictf("you have asked to join group %s already; wait for the answer", groupID)
		}
		if err != nil {
			return fault.Wrap(err, "store join request")
		}
		jr = joinRequestOf(row)
		if status == RequestAccepted {
			return s.admit(ctx, q, out, u, groupID, u.UserID)
		}
		managers, err := q.ListGroupManagerIDs(ctx, db.ListGroupManagerIDsParams{AppID: u.AppID, GroupID: groupID})
		if err != nil {
			return fault.Wrap(err, "load admins")
		}
		return s.joinEvent(ctx, q, out, u, groupJoinRequested, jr, managers)
	})
	return jr, err
}

// manager checks that u is the group's owner or an admin.
func (s *Service) manager(ctx context.Context, q *db.Queries, u User, groupID string) error {
	g, err := s.loadGroup(ctx, q, u, groupID)
	if err != nil {
		return err
	}
	if g.CallerRole != RoleOwner && g.CallerRole != RoleAdmin {
		return fault.Forbiddenf("only the owner or an admin of group %s may handle its join requests", groupID)
	}
	return nil
}

// JoinRequests are a group's pending requests, the oldest first; for its owner and admins.
func (s *Service) JoinRequests(ctx context.Context, u User, groupID string, p PageRequest) (Page[JoinRequest], error) {
	page, size := pageBounds(p)
	out := Page[JoinRequest]{Items: []JoinRequest{}, Page: page, Size: size}
	if err := s.manager(ctx, s.q, u, groupID); err != nil {
		return out, err
	}
	var err error
	if out.Total, err = s.q.CountPendingGroupJoinRequests(ctx, db.CountPendingGroupJoinRequestsParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return out, fault.Wrap(err, "count join requests")
	}
	rows, err := s.q.ListPendingGroupJoinRequests(ctx, db.ListPendingGroupJoinRequestsParams{AppID: u.AppID, GroupID: groupID, SkipRows: page * size, MaxRows: size})
	if err != nil {
		return out, fault.Wrap(err, "load join requests")
	}
	for _, r := range rows {
		out.Items = append(out.Items, joinRequestOf(r))
	}
	return out, nil
}

// AnswerJoinRequest accepts (the requester becomes a member) or rejects a pending request; the
// requester learns it live.
func (s *Service) AnswerJoinRequest(ctx context.Context, u User, groupID string, id int64, accept bool) (JoinRequest, error) {
	var jr JoinRequest
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		if err := s.manager(ctx, q, u, groupID); err != nil {
			return err
		}
		row, err := q.LockGroupJoinRequest(ctx, db.LockGroupJoinRequestParams{AppID: u.AppID, GroupID: groupID, ID: id})
		switch {
		case noRows(err):
			return fault.NotFoundf("group %s has no join request %d", groupID, id)
		case err != nil:
			return fault.Wrap(err, "load join request")
		case row.Status != RequestPending:
			return fault.Conflictf("join request %d was %s already", id, lower(row.Status))
		}
		status := RequestRejected
		if accept {
			status = RequestAccepted
		}
		if row, err = q.HandleGroupJoinRequest(ctx, db.HandleGroupJoinRequestParams{ID: id, Status: status, HandledBy: &u.UserID}); err != nil {
			return fault.Wrap(err, "answer join request")
		}
		jr = joinRequestOf(row)
		if !accept {
			return s.joinEvent(ctx, q, out, u, groupJoinRejected, jr, []string{jr.UserID})
		}
		if err := logAction(ctx, q, userActor(u), "group.join_request.accept", "GROUP", groupID, map[string]any{"userId": jr.UserID, "requestId": strconv.FormatInt(id, 10)}); err != nil {
			return err
		}
		return s.admit(ctx, q, out, u, groupID, jr.UserID)
	})
	return jr, err
}
