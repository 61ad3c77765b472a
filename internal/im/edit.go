package im

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func revokedData(m Message, at time.Time, by string) messageRevoked {
	return messageRevoked{ID: m.ID, ChatType: m.ChatType, FromID: m.FromID, ToID: m.ToID, RevokedAt: at, RevokedBy: by, RevokedByAdmin: by == ""}
}

// visibleForUpdate locks message id when u can see it.
func (s *Service) visibleForUpdate(ctx context.Context, q *db.Queries, u User, id int64) (db.GetMessageRow, error) {
	r, err := q.GetMessageForUpdate(ctx, db.GetMessageForUpdateParams{AppID: u.AppID, ID: id})
	if noRows(err) {
		return db.GetMessageRow{}, fault.NotFoundf("message %d does not exist", id)
	}
	if err != nil {
		return db.GetMessageRow{}, fault.Wrap(err, "load message")
	}
	visible, err := q.ListVisibleMessages(ctx, db.ListVisibleMessagesParams{AppID: u.AppID, UserID: u.UserID, Ids: []int64{id}})
	if err != nil {
		return db.GetMessageRow{}, fault.Wrap(err, "load message")
	}
	if len(visible) == 0 {
		return db.GetMessageRow{}, fault.NotFoundf("message %d does not exist", id)
	}
	return db.GetMessageRow(r), nil
}

// Edit replaces the text of the caller's own TEXT message.
func (s *Service) Edit(ctx context.Context, u User, id int64, content string) (Message, error) {
	if content == "" || utf8.RuneCountInString(content) > MaxContentChars {
		return Message{}, fault.InvalidField("content", "must be 1 to %d characters long", MaxContentChars)
	}
	if strings.ContainsRune(content, 0) {
		return Message{}, fault.InvalidField("content", "must not contain the NUL character")
	}
	var m Message
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		r, err := s.visibleForUpdate(ctx, q, u, id)
		switch {
		case err != nil:
			return err
		case r.FromID != u.UserID:
			return fault.Forbiddenf("only the sender may edit message %d", id)
		case MsgType(r.MsgType) != Text:
			return fault.InvalidField("id", "message %d is %s; only TEXT messages can be edited", id, r.MsgType)
		case r.RevokedAt != nil:
			return fault.Conflictf("message %d was revoked", id)
		}
		at, err := q.EditMessage(ctx, db.EditMessageParams{AppID: u.AppID, ID: id, Content: content, SearchText: content})
		if err != nil {
			return fault.Wrap(err, "edit message")
		}
		// The new text is findable at once; an edit is not on the send path.
		if err := q.UpsertMessageSearch(ctx, db.UpsertMessageSearchParams{MessageID: id, AppID: u.AppID, ChatID: r.ChatID, CreatedAt: r.CreatedAt, Grams: textGrams(content)}); err != nil {
			return fault.Wrap(err, "index message")
		}
		r.Content, r.EditedAt = content, at
		if m, err = s.stored(ctx, q, r); err != nil {
			return err
		}
		if err := s.messageEvent(ctx, q, out, u.AppID, EventMessageEdited, r, &m, func(seq int64) any {
			if seq > 0 {
				m.GroupSeq = &seq
			}
			return m
		}); err != nil {
			return err
		}
		out.notify(u.AppID, WebhookMessageEdited, m)
		return nil
	})
	return m, err
}

// Revoke clears a message: the sender's own within the revoke window, or any message of a
// group by its owner or an admin. Revoking a revoked message changes nothing.
func (s *Service) Revoke(ctx context.Context, u User, id int64) (Message, error) {
	var m Message
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		r, err := s.visibleForUpdate(ctx, q, u, id)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			m, err = s.stored(ctx, q, r)
			return err
		}
		if err := s.mayRevoke(ctx, q, u, r); err != nil {
			return err
		}
		at, err := q.RevokeMessage(ctx, db.RevokeMessageParams{AppID: u.AppID, ID: id, RevokedBy: &u.UserID})
		if err != nil {
			return fault.Wrap(err, "revoke message")
		}
		if err := q.DeleteMessageSearch(ctx, id); err != nil {
			return fault.Wrap(err, "unindex message")
		}
		r.Content, r.RevokedAt, r.RevokedBy = "", at, &u.UserID
		if m, err = s.stored(ctx, q, r); err != nil {
			return err
		}
		if err := s.messageEvent(ctx, q, out, u.AppID, EventMessageRevoked, r, &m, func(seq int64) any {
			if seq > 0 {
				m.GroupSeq = &seq
			}
			return revokedData(m, *at, u.UserID)
		}); err != nil {
			return err
		}
		out.notify(u.AppID, WebhookMessageRevoked, revokedEvent{Message: m, Revoker: Actor{Type: ActorUser, ID: u.UserID}})
		return nil
	})
	return m, err
}

func (s *Service) mayRevoke(ctx context.Context, q *db.Queries, u User, r db.GetMessageRow) error {
	if ChatType(r.ChatType) == Group && r.FromID != u.UserID {
		role, err := q.GetGroupMemberRole(ctx, db.GetGroupMemberRoleParams{AppID: u.AppID, GroupID: r.ToID, UserID: u.UserID})
		if err != nil && !noRows(err) {
			return fault.Wrap(err, "load role")
		}
		if role == RoleOwner || role == RoleAdmin {
			return nil
		}
	}
	if r.FromID != u.UserID {
		return fault.Forbiddenf("only the sender (or, in a group, its owner or an admin) may revoke message %d", r.ID)
	}
	if s.now().Sub(r.CreatedAt) > s.opts.RevokeWindow {
		return fault.Forbiddenf("message %d is older than the revoke window (%s)", r.ID, s.opts.RevokeWindow)
	}
	return nil
}

// messageEvent stores an event about message r: for both sides of a one-to-one message, or
// once on the group's sequence, which becomes the message's groupSeq (set in *m). data
// makes the event's data, given that seq (0 for a one-to-one message).
func (s *Service) messageEvent(ctx context.Context, q *db.Queries, out *outbox, appID int64, typ string, r db.GetMessageRow, m *Message, data func(groupSeq int64) any) error {
	if ChatType(r.ChatType) == Single {
		b, err := json.Marshal(data(0))
		if err != nil {
			return fault.Wrap(err, "encode event")
		}
		m.GroupSeq = nil
		return s.store(ctx, q, out, appID, typ, sortedPair(r.FromID, r.ToID), &r.ID, b)
	}
	seq, err := s.storeGroupEvent(ctx, q, out, appID, r.ToID, typ, &r.ID, nil, false, nil)
	if err != nil {
		return err
	}
	if err := q.SetMessageGroupSeq(ctx, db.SetMessageGroupSeqParams{ID: r.ID, GroupSeq: &seq}); err != nil {
		return fault.Wrap(err, "store message")
	}
	b, err := json.Marshal(data(seq))
	if err != nil {
		return fault.Wrap(err, "encode event")
	}
	out.Groups[len(out.Groups)-1].Data = b
	return nil
}
