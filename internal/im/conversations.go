package im

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// Conversations lists the caller's conversations, pinned ones first, then the newest.
func (s *Service) Conversations(ctx context.Context, u User, p page.Request) (page.Page[Conversation], error) {
	out := page.Of[Conversation](p, nil, 0)
	var err error
	if out.Total, err = s.q.CountConversations(ctx, db.CountConversationsParams{AppID: u.AppID, UserID: u.UserID}); err != nil {
		return out, fault.Wrap(err, "count conversations")
	}
	rows, err := s.q.ListConversations(ctx, db.ListConversationsParams{AppID: u.AppID, UserID: u.UserID, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load conversations")
	}
	for _, r := range rows {
		c := Conversation{TargetID: r.TargetID, ChatType: ChatType(r.ChatType), UnreadCount: r.UnreadCount, ReadSeq: r.ReadSeq,
			Pinned: r.Pinned, Draft: r.Draft, UpdatedAt: r.UpdatedAt}
		if r.LastID != nil {
			m := Message{ID: *r.LastID, ClientMsgID: r.LastClientMsgID, FromID: *r.LastFromID, ToID: *r.LastToID, ChatType: c.ChatType,
				MsgType: MsgType(*r.LastMsgType), Content: *r.LastContent, Seq: *r.LastSeq, CreatedAt: *r.LastCreatedAt,
				EditedAt: r.LastEditedAt, Revoked: r.LastRevokedAt != nil}
			if c.ChatType == Group {
				n := r.LastGroupReadCount
				m.GroupReadCount = &n
			}
			c.LastMessage = &m
		}
		out.Items = append(out.Items, c)
	}
	return out, nil
}

// conversationTarget checks that the caller may have a conversation with target and
// returns its chat, created when new, with the caller's conversation row.
func (s *Service) conversationTarget(ctx context.Context, q *db.Queries, u User, t ChatType, target string) (int64, error) {
	switch t {
	case Single:
		if target == u.UserID {
			return 0, fault.InvalidField("targetId", "must be another user than the caller")
		}
		if err := checkAccounts(ctx, q, u.AppID, []string{target}); err != nil {
			return 0, err
		}
		chat, err := q.EnsureChat(ctx, db.EnsureChatParams{AppID: u.AppID, ChatType: string(Single), ChatKey: pairKey(u.UserID, target)})
		if err != nil {
			return 0, fault.Wrap(err, "load chat")
		}
		if err := q.InsertPairConversation(ctx, db.InsertPairConversationParams{AppID: u.AppID, UserID: u.UserID, TargetID: target, ChatID: chat.ID}); err != nil {
			return 0, fault.Wrap(err, "create conversation")
		}
		return chat.ID, nil
	case Group:
		g, err := s.loadGroup(ctx, q, u, target)
		if err != nil {
			return 0, err
		}
		if g.CallerRole == "" {
			return 0, fault.Forbiddenf("you are not a member of group %s", target)
		}
		chat, err := q.GetChat(ctx, db.GetChatParams{AppID: u.AppID, ChatType: string(Group), ChatKey: target})
		if err != nil {
			return 0, fault.Wrap(err, "load chat")
		}
		return chat.ID, nil
	}
	return 0, fault.InvalidField("chatType", "must be SINGLE or GROUP")
}

// conversation is one of the caller's conversations as it is now.
func (s *Service) conversation(ctx context.Context, q *db.Queries, u User, t ChatType, target string) (Conversation, error) {
	r, err := q.GetConversation(ctx, db.GetConversationParams{AppID: u.AppID, UserID: u.UserID, ChatType: string(t), TargetID: target})
	if noRows(err) {
		return Conversation{}, fault.NotFoundf("you have no conversation with %s", target)
	}
	if err != nil {
		return Conversation{}, fault.Wrap(err, "load conversation")
	}
	c := Conversation{TargetID: target, ChatType: t, UnreadCount: r.UnreadCount, ReadSeq: r.ReadSeq, Pinned: r.Pinned, Draft: r.Draft, UpdatedAt: r.UpdatedAt}
	if r.LastSeq > 0 {
		last, err := q.GetMessageBySeq(ctx, db.GetMessageBySeqParams{ChatID: r.ChatID, Seq: r.LastSeq})
		if err != nil && !noRows(err) {
			return Conversation{}, fault.Wrap(err, "load last message")
		}
		if err == nil {
			m, err := s.stored(ctx, q, db.GetMessageRow(last))
			if err != nil {
				return Conversation{}, err
			}
			c.LastMessage = &m
		}
	}
	return c, nil
}

// conversationEvent tells the caller's devices about a change of one of his conversations.
func (s *Service) conversationEvent(ctx context.Context, q *db.Queries, out *outbox, u User, c Conversation) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fault.Wrap(err, "encode conversation")
	}
	return s.store(ctx, q, out, u.AppID, EventConversation, []string{u.UserID}, nil, data)
}

// SetPinned pins or unpins a conversation, creating it when new.
func (s *Service) SetPinned(ctx context.Context, u User, t ChatType, target string, pinned bool) (Conversation, error) {
	return s.changeConversation(ctx, u, t, target, func(q *db.Queries) error {
		return q.SetConversationPinned(ctx, db.SetConversationPinnedParams{AppID: u.AppID, UserID: u.UserID, ChatType: string(t), TargetID: target, Pinned: pinned})
	})
}

// SetDraft keeps the caller's unsent text of a conversation; empty clears it.
func (s *Service) SetDraft(ctx context.Context, u User, t ChatType, target, draft string) (Conversation, error) {
	if utf8.RuneCountInString(draft) > 4096 {
		return Conversation{}, fault.InvalidField("draft", "must be at most 4096 characters long")
	}
	return s.changeConversation(ctx, u, t, target, func(q *db.Queries) error {
		return q.SetConversationDraft(ctx, db.SetConversationDraftParams{AppID: u.AppID, UserID: u.UserID, ChatType: string(t), TargetID: target, Draft: draft})
	})
}

func (s *Service) changeConversation(ctx context.Context, u User, t ChatType, target string, change func(q *db.Queries) error) (Conversation, error) {
	var c Conversation
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		if _, err := s.conversationTarget(ctx, q, u, t, target); err != nil {
			return err
		}
		if err := change(q); err != nil {
			return fault.Wrap(err, "change conversation")
		}
		var err error
		if c, err = s.conversation(ctx, q, u, t, target); err != nil {
			return err
		}
		return s.conversationEvent(ctx, q, out, u, c)
	})
	return c, err
}

// DeleteConversation removes a conversation from the caller's list (and marks it read)
// until its next message.
func (s *Service) DeleteConversation(ctx context.Context, u User, t ChatType, target string) error {
	if !t.valid() {
		return fault.InvalidField("chatType", "must be SINGLE or GROUP")
	}
	return s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		n, err := q.DeleteConversation(ctx, db.DeleteConversationParams{AppID: u.AppID, UserID: u.UserID, ChatType: string(t), TargetID: target})
		if err != nil {
			return fault.Wrap(err, "delete conversation")
		}
		if n == 0 {
			return fault.NotFoundf("you have no conversation with %s", target)
		}
		c, err := s.conversation(ctx, q, u, t, target)
		if err != nil {
			return err
		}
		c.Deleted = true
		return s.conversationEvent(ctx, q, out, u, c)
	})
}

// MarkRead moves the caller's read mark to seq (nil: the latest message). The mark never
// moves back. The caller's devices and the senders of the messages read get a read event.
func (s *Service) MarkRead(ctx context.Context, u User, t ChatType, target string, seq *int64) (ReadMark, error) {
	mark := ReadMark{TargetID: target, ChatType: t}
	if seq != nil && *seq < 0 {
		return mark, fault.InvalidField("seq", "must be at least 0")
	}
	err := s.inTx(ctx, func(q *db.Queries, out *outbox) error {
		chatID, err := s.conversationTarget(ctx, q, u, t, target)
		if err != nil {
			return err
		}
		// The chat's lock orders read marks of a group, so that each receipt's
		// groupReadCount counts the marks before it.
		chat, err := q.LockChat(ctx, chatID)
		if err != nil {
			return fault.Wrap(err, "lock chat")
		}
		cur, err := q.GetConversationForUpdate(ctx, db.GetConversationForUpdateParams{AppID: u.AppID, UserID: u.UserID, ChatType: string(t), TargetID: target})
		if err != nil {
			return fault.Wrap(err, "load conversation")
		}
		to := chat.LastSeq
		if seq != nil && *seq < to {
			to = *seq
		}
		mark.ReadSeq = max(cur.ReadSeq, to)
		if to > cur.ReadSeq {
			if err := q.SetReadSeq(ctx, db.SetReadSeqParams{AppID: u.AppID, UserID: u.UserID, ChatType: string(t), TargetID: target, ReadSeq: to}); err != nil {
				return fault.Wrap(err, "move read mark")
			}
			if err := s.readEvents(ctx, q, out, u, t, target, chatID, cur.ReadSeq, to); err != nil {
				return err
			}
		}
		mark.UnreadCount, err = q.CountUnread(ctx, db.CountUnreadParams{ChatID: chatID, ReadSeq: mark.ReadSeq, UserID: u.UserID})
		if err != nil {
			return fault.Wrap(err, "count unread")
		}
		return nil
	})
	return mark, err
}

// readEvents stores the read events of a mark moved from old to now: for the reader's
// devices, and for the other side (SINGLE) or each sender of the messages passed (GROUP).
func (s *Service) readEvents(ctx context.Context, q *db.Queries, out *outbox, u User, t ChatType, target string, chatID, old, now int64) error {
	own := readReceipt{TargetID: target, ChatType: t, UserID: u.UserID, ReadSeq: now}
	if t == Single {
		if err := s.lockUsers(ctx, q, u.AppID, u.UserID, target); err != nil {
			return err
		}
		if err := s.dataEvent(ctx, q, out, u.AppID, EventRead, []string{u.UserID}, own); err != nil {
			return err
		}
		theirs := own
		theirs.TargetID = u.UserID
		return s.dataEvent(ctx, q, out, u.AppID, EventRead, []string{target}, theirs)
	}
	senders, err := q.ListSendersBetween(ctx, db.ListSendersBetweenParams{ChatID: chatID, AfterSeq: old, UptoSeq: now, ReaderID: u.UserID})
	if err != nil {
		return fault.Wrap(err, "load senders")
	}
	users := []string{u.UserID}
	for _, sd := range senders {
		users = append(users, sd.FromID)
	}
	if err := s.lockUsers(ctx, q, u.AppID, users...); err != nil {
		return err
	}
	if err := s.dataEvent(ctx, q, out, u.AppID, EventRead, []string{u.UserID}, own); err != nil {
		return err
	}
	for _, sd := range senders {
		n, err := q.CountGroupReaders(ctx, db.CountGroupReadersParams{ChatID: chatID, Seq: sd.Seq, SenderID: sd.FromID})
		if err != nil {
			return fault.Wrap(err, "count readers")
		}
		r := own
		r.MessageID, r.GroupReadCount = sd.ID, &n
		if err := s.dataEvent(ctx, q, out, u.AppID, EventRead, []string{sd.FromID}, r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) dataEvent(ctx context.Context, q *db.Queries, out *outbox, appID int64, typ string, users []string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fault.Wrap(err, "encode event")
	}
	return s.store(ctx, q, out, appID, typ, users, nil, b)
}
