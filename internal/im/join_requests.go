package im

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
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

// admit makes userID a member of a group (locked chat, member limit) and tells the members;
// it returns whether he was not one yet.
func (s *Service) admit(ctx context.Context, q *db.Queries, out *outbox, u User, groupID, userID string) (bool, error) {
	added, _, err := s.join(ctx, q, out, u, groupID, []string{userID})
	return len(added) > 0, err
}

// RequestToJoin asks to join a public group: a FREE group takes the caller at once, an
// APPROVAL group keeps the request for its owner and admins, a CLOSED one refuses.
func (s *Service) RequestToJoin(ctx context.Context, u User, groupID, remark string) (JoinRequest, error) {
	if err := checkRemark(remark); err != nil {
		return JoinRequest{}, err
	}
	var jr JoinRequest
	joined := false
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		g, _, err := s.lockedGroup(ctx, q, u, groupID)
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
			return s.fullGroup(groupID, int(rules.MemberCount), 1)
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
			if joined, err = s.admit(ctx, q, out, u, groupID, u.UserID); joined {
				s.membersChanged(out, u, groupID, []string{u.UserID}, nil)
			}
			return err
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
func (s *Service) JoinRequests(ctx context.Context, u User, groupID string, p page.Request) (page.Page[JoinRequest], error) {
	out := page.Of[JoinRequest](p, nil, 0)
	if err := s.manager(ctx, s.q, u, groupID); err != nil {
		return out, err
	}
	var err error
	if out.Total, err = s.q.CountPendingGroupJoinRequests(ctx, db.CountPendingGroupJoinRequestsParams{AppID: u.AppID, GroupID: groupID}); err != nil {
		return out, fault.Wrap(err, "count join requests")
	}
	rows, err := s.q.ListPendingGroupJoinRequests(ctx, db.ListPendingGroupJoinRequestsParams{AppID: u.AppID, GroupID: groupID, SkipRows: p.Offset(), MaxRows: p.Limit()})
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
	joined := false
	err := s.groupTx(ctx, func(q *db.Queries, out *outbox) error {
		if _, _, err := s.lockedGroup(ctx, q, u, groupID); err != nil {
			return err
		}
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
		if joined, err = s.admit(ctx, q, out, u, groupID, jr.UserID); joined {
			s.membersChanged(out, u, groupID, []string{jr.UserID}, nil)
		}
		return err
	})
	return jr, err
}
