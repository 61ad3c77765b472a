package im

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Group events (GroupEvent.event) of roles, mutes and renames.
const (
	groupRenamed          = "RENAMED"
	groupRoleChanged      = "ROLE_CHANGED"
	groupOwnerTransferred = "OWNER_TRANSFERRED"
	groupMemberMuted      = "MEMBER_MUTED"
	groupMemberUnmuted    = "MEMBER_UNMUTED"
	groupMuted            = "GROUP_MUTED"
	groupUnmuted          = "GROUP_UNMUTED"
)

// notifyContent is the content of the NOTIFY message a group change leaves in the group's
// history: the sentence, and what it says for clients that word it themselves.
type notifyContent struct {
	Text       string     `json:"text"`
	Event      string     `json:"event"`
	OperatorID string     `json:"operatorId"`
	UserIDs    []string   `json:"userIds"`
	Role       string     `json:"role,omitempty"`
	MutedUntil *time.Time `json:"mutedUntil,omitempty"`
}

// groupTx runs a change of a group in a transaction; once it has committed, the NOTIFY
// messages it stored are handed to the search indexer.
func (s *Service) groupTx(ctx context.Context, fn func(q *db.Queries, out *outbox) error) error {
	if err := s.inTx(ctx, fn); err != nil {
		return err
	}
	s.wakeIndexer()
	return nil
}

// lockedGroup is a live group and the caller's role in it, read once the group's chat is
// locked: every change of its members, roles and rules takes that lock first, so what it
// reads stays true until the transaction ends, and its events are in order with the sends.
func (s *Service) lockedGroup(ctx context.Context, q *db.Queries, u User, groupID string) (db.GetGroupRow, db.LockChatRow, error) {
	if _, err := s.loadGroup(ctx, q, u, groupID); err != nil { // no chat made for a group that does not exist
		return db.GetGroupRow{}, db.LockChatRow{}, err
	}
	locked, err := s.lockedChat(ctx, q, u.AppID, groupID)
	if err != nil {
		return db.GetGroupRow{}, db.LockChatRow{}, err
	}
	g, err := s.loadGroup(ctx, q, u, groupID)
	return g, locked, err
}

// notice tells the members of a change: the group.event on the group's stream (skip: those
// told on their own streams), then its NOTIFY message in the history. It returns the group
// event seq of the group.event.
func (s *Service) notice(ctx context.Context, q *db.Queries, out *outbox, u User, e groupEvent, membersChanged bool, skip []string) (int64, error) {
	if e.UserIDs == nil {
		e.UserIDs = []string{}
	}
	e.OperatorID = u.UserID
	data, err := json.Marshal(e)
	if err != nil {
		return 0, fault.Wrap(err, "encode group event")
	}
	seq, err := s.storeGroupEvent(ctx, q, out, u.AppID, e.GroupID, EventGroup, nil, data, membersChanged, skip)
	if err != nil {
		return 0, err
	}
	if text := s.noticeText(e); text != "" {
		if _, err := s.notifyMessage(ctx, q, out, u, e, text); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// notifyMessage stores the NOTIFY message of change e in the group's history, from the
// member who made it (nobody: an administrator), and queues its message event; it returns
// the message's group event seq.
func (s *Service) notifyMessage(ctx context.Context, q *db.Queries, out *outbox, u User, e groupEvent, text string) (int64, error) {
	users := e.UserIDs
	if users == nil {
		users = []string{}
	}
	content, err := json.Marshal(notifyContent{Text: text, Event: e.Event, OperatorID: u.UserID, UserIDs: users, Role: e.Role, MutedUntil: e.MutedUntil})
	if err != nil {
		return 0, fault.Wrap(err, "encode notice")
	}
	row, err := q.AddGroupNotifyMessage(ctx, db.AddGroupNotifyMessageParams{AppID: u.AppID, GroupID: e.GroupID, FromID: u.UserID,
		Content: string(content), SearchText: text})
	if err != nil {
		return 0, fault.Wrap(err, "store notice")
	}
	zero := int32(0)
	m := Message{ID: row.ID, FromID: u.UserID, ToID: e.GroupID, ChatType: Group, MsgType: Notify, Content: string(content),
		Seq: row.Seq, CreatedAt: row.CreatedAt, GroupReadCount: &zero, GroupSeq: &row.GroupSeq}
	data, err := json.Marshal(m)
	if err != nil {
		return 0, fault.Wrap(err, "encode notice")
	}
	out.Groups = append(out.Groups, GroupDelivery{AppID: u.AppID, GroupID: e.GroupID, Seq: row.GroupSeq, Type: EventMessage,
		Data: data, MembersSeq: row.MembersSeq})
	return row.GroupSeq, nil
}

// noticeText is the sentence of a change's NOTIFY message; "" for changes that leave none.
func (s *Service) noticeText(e groupEvent) string {
	who := e.OperatorID
	if who == "" {
		who = "An administrator"
	}
	users := strings.Join(e.UserIDs, ", ")
	switch e.Event {
	case groupMembersAdded:
		if len(e.UserIDs) == 1 && e.UserIDs[0] == e.OperatorID {
			return users + " joined the group"
		}
		return who + " added " + users
	case groupMemberLeft:
		return users + " left the group"
	case groupMemberRemoved:
		return who + " removed " + users
	case groupRenamed:
		if e.Group == nil {
			return ""
		}
		return fmt.Sprintf("%s renamed the group to %q", who, e.Group.Name)
	case groupMemberMuted:
		if e.MutedUntil == nil {
			return ""
		}
		return fmt.Sprintf("%s muted %s until %s", who, users, e.MutedUntil.In(s.opts.Location).Format("2006-01-02 15:04:05 MST"))
	case groupMemberUnmuted:
		return who + " unmuted " + users
	case groupMuted:
		return who + " muted the group: only the owner and admins may post"
	case groupUnmuted:
		return who + " unmuted the group"
	case groupRoleChanged:
		if e.Role == RoleAdmin {
			return who + " made " + users + " an admin"
		}
		return who + " removed " + users + " as an admin"
	case groupOwnerTransferred:
		if len(e.UserIDs) == 0 {
			return ""
		}
		return who + " transferred the group to " + e.UserIDs[0]
	case groupDissolved:
		return who + " dissolved the group"
	}
	return ""
}

// membersChanged is the webhook group.members.changed.
// It is queued in the transaction of the change it reports.
func (s *Service) membersChanged(out *outbox, u User, groupID string, added, removed []string) {
	if added == nil {
		added = []string{}
	}
	if removed == nil {
		removed = []string{}
	}
	out.notify(u.AppID, WebhookGroupMembers, map[string]any{"groupId": groupID, "operatorId": u.UserID, "added": added, "removed": removed})
}
