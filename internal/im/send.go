package im

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// pairKey is the chat key of a one-to-one conversation: the ids sorted, space-joined.
func pairKey(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + " " + b
}

func checkSend(u User, in SendInput) error {
	switch {
	case in.ToID == "" || utf8.RuneCountInString(in.ToID) > 64:
		return fault.InvalidField("toId", "must be 1 to 64 characters long")
	case strings.ContainsRune(in.ToID, 0):
		return fault.InvalidField("toId", "must not contain the NUL character")
	case !in.ChatType.valid():
		return fault.InvalidField("chatType", "must be SINGLE or GROUP")
	case !slices.Contains(MsgTypes, in.MsgType):
		return fault.InvalidField("msgType", "must be one of %s", joinTypes())
	case utf8.RuneCountInString(in.ClientMsgID) > 64:
		return fault.InvalidField("clientMsgId", "must be at most 64 characters long")
	case strings.ContainsRune(in.ClientMsgID, 0):
		return fault.InvalidField("clientMsgId", "must not contain the NUL character")
	case in.ChatType == Single && in.ToID == u.UserID:
		return fault.InvalidField("toId", "must be another user than the sender")
	}
	return nil
}

// Send stores a message and announces it to the receivers and the sender's own devices.
// Sending a clientMsgId again returns the first message.
func (s *Service) Send(ctx context.Context, u User, in SendInput) (Message, error) {
	if err := s.begin(true); err != nil {
		return Message{}, err
	}
	defer s.done()
	if err := checkSend(u, in); err != nil {
		return Message{}, err
	}
	obj, err := checkContent(in.MsgType, in.Content)
	if err != nil {
		return Message{}, err
	}
	content, text, err := s.sendable(ctx, u, in, obj)
	if err != nil {
		// A retry of a message stored before (the blocklist or the forwarded message
		// may have changed since) still gets the first message.
		if in.ClientMsgID != "" {
			if m, err := s.byClientMsgID(ctx, u, in.ClientMsgID); err == nil {
				return m, nil
			}
		}
		return Message{}, err
	}

	var clientMsgID *string
	if in.ClientMsgID != "" {
		clientMsgID = &in.ClientMsgID
	}
	m := Message{ClientMsgID: clientMsgID, FromID: u.UserID, ToID: in.ToID, ChatType: in.ChatType, MsgType: in.MsgType, Content: content}
	if in.ChatType == Single {
		// The queue stores and announces it with the sends of other callers.
		p := &pendingSingle{m: m, p: singleParams(u, in.ToID, clientMsgID, in.MsgType, content, text)}
		if err := s.singles.store(ctx, p); err != nil {
			return s.sendFailed(ctx, u, in, err)
		}
		m = p.m
	} else {
		row, err := s.sendGroupMessage(ctx, m, db.SendGroupMessageParams{
			AppID: u.AppID, ToID: in.ToID, FromID: u.UserID, ClientMsgID: clientMsgID,
			MsgType: string(in.MsgType), Content: content, SearchText: text,
		})
		if err != nil {
			return s.sendFailed(ctx, u, in, err)
		}
		m.ID, m.Seq, m.CreatedAt = row.ID, row.Seq, row.CreatedAt
		zero := int32(0)
		m.GroupReadCount, m.GroupSeq = &zero, &row.GroupSeq
		data, err := json.Marshal(m)
		if err != nil {
			return Message{}, fault.Wrap(err, "encode message")
		}
		// One event for the group, whatever its size: each instance fans it out to the
		// members it holds.
		s.announce(ctx, Announcement{Groups: []GroupDelivery{{AppID: u.AppID, GroupID: in.ToID, Seq: row.GroupSeq,
			Type: EventMessage, Data: data, MembersSeq: row.MembersSeq}}})
		s.wakeIndexer()
	}
	return m, nil
}

// sendable checks what the message may refer to and that the receiver takes it, and
// returns the content to store (FORWARD copies the original in) and its search text.
func (s *Service) sendable(ctx context.Context, u User, in SendInput, obj map[string]json.RawMessage) (content, text string, err error) {
	content, text = in.Content, searchText(in.MsgType, in.Content, obj)
	switch in.MsgType {
	case Forward:
		if content, text, err = s.forwardContent(ctx, u, obj); err != nil {
			return "", "", err
		}
	case Quote:
		if err := s.checkVisible(ctx, u, "content.quotedMsgId", stringField(obj, "quotedMsgId")); err != nil {
			return "", "", err
		}
	case Merge:
		var ids []string
		_ = json.Unmarshal(obj["messageIds"], &ids)
		if err := s.checkVisible(ctx, u, "content.messageIds", ids...); err != nil {
			return "", "", err
		}
	}
	// A one-to-one send's rules (the receiver's blacklist, an app of friends only) are
	// the send statement's, which refuses what breaks them; sendFailed then tells why.
	// So an app's before-send webhook may be asked about a message the blacklist then
	// refuses: the price of not asking the database twice for every message.
	if in.ChatType == Group {
		if err := s.checkSpeaker(ctx, u, in.ToID); err != nil {
			return "", "", err
		}
	}
	if err := s.beforeSend(ctx, u, in, content); err != nil {
		return "", "", err
	}
	return content, text, nil
}

// singleSend is what the send statement stores of a one-to-one message.
type singleSend struct {
	AppID                 int64
	ChatKey, FromID, ToID string
	ClientMsgID           *string
	MsgType               string
	Content, SearchText   string
}

// singleParams are the statement's parameters of a one-to-one message from u.
func singleParams(u User, to string, clientMsgID *string, t MsgType, content, text string) singleSend {
	return singleSend{
		AppID: u.AppID, ChatKey: pairKey(u.UserID, to), ToID: to, FromID: u.UserID, ClientMsgID: clientMsgID,
		MsgType: string(t), Content: content, SearchText: text,
	}
}

func sortedPair(a, b string) []string {
	if a > b {
		a, b = b, a
	}
	return []string{a, b}
}

// sendFailed tells why a send stored nothing: a clientMsgId used already (then the first
// message is the answer), a receiver who blocked the sender or is no friend of his in an
// app of friends only, an unknown receiver or group, or a sender outside the group.
func (s *Service) sendFailed(ctx context.Context, u User, in SendInput, err error) (Message, error) {
	if !noRows(err) && !uniqueViolation(err) {
		return Message{}, fault.Wrap(err, "store message")
	}
	if in.ClientMsgID != "" {
		if m, err := s.byClientMsgID(ctx, u, in.ClientMsgID); err == nil || !fault.Is(err, fault.NotFound) {
			return m, err
		}
	}
	if in.ChatType == Single {
		if err := s.checkReceiver(ctx, u, in.ToID); err != nil {
			return Message{}, err
		}
		return Message{}, fault.NotFoundf("user %s is not an account of this app", in.ToID)
	}
	g, err := s.q.GetGroup(ctx, db.GetGroupParams{AppID: u.AppID, GroupID: in.ToID, UserID: u.UserID})
	switch {
	case noRows(err) || (err == nil && g.DissolvedAt != nil):
		return Message{}, fault.NotFoundf("group %s does not exist", in.ToID)
	case err != nil:
		return Message{}, fault.Wrap(err, "load group")
	}
	return Message{}, fault.Forbiddenf("you are not a member of group %s", in.ToID)
}

func (s *Service) byClientMsgID(ctx context.Context, u User, clientMsgID string) (Message, error) {
	row, err := s.q.GetMessageByClientMsgID(ctx, db.GetMessageByClientMsgIDParams{AppID: u.AppID, FromID: u.UserID, ClientMsgID: &clientMsgID})
	if noRows(err) {
		return Message{}, fault.NotFoundf("no message with this clientMsgId")
	}
	if err != nil {
		return Message{}, fault.Wrap(err, "load message")
	}
	return s.stored(ctx, s.q, db.GetMessageRow(row))
}

// checkVisible holds when u can see every message of ids (strings of the contract).
func (s *Service) checkVisible(ctx context.Context, u User, field string, ids ...string) error {
	want := make([]int64, 0, len(ids))
	for _, id := range ids {
		n, ok := parseMessageID(id)
		if !ok {
			return fault.InvalidField(field, "%q is not a message id", id)
		}
		want = append(want, n)
	}
	rows, err := s.q.ListVisibleMessages(ctx, db.ListVisibleMessagesParams{AppID: u.AppID, UserID: u.UserID, Ids: want})
	if err != nil {
		return fault.Wrap(err, "load messages")
	}
	for _, id := range want {
		if !slices.ContainsFunc(rows, func(r db.ListVisibleMessagesRow) bool { return r.ID == id }) {
			return fault.NotFoundf("%s: message %d does not exist or is not yours to see", field, id)
		}
	}
	return nil
}

// forwardContent copies the forwarded message into the content, bounded (see the package
// function forwardContent), and returns it with the search text of the original.
func (s *Service) forwardContent(ctx context.Context, u User, obj map[string]json.RawMessage) (content, text string, err error) {
	id, _ := parseMessageID(stringField(obj, "messageId"))
	rows, err := s.q.ListVisibleMessages(ctx, db.ListVisibleMessagesParams{AppID: u.AppID, UserID: u.UserID, Ids: []int64{id}})
	if err != nil {
		return "", "", fault.Wrap(err, "load message")
	}
	if len(rows) == 0 {
		return "", "", fault.NotFoundf("content.messageId: message %d does not exist or is not yours to see", id)
	}
	orig := messageOf(db.GetMessageRow(rows[0]))
	if orig.Revoked {
		return "", "", fault.Conflictf("message %d was revoked and cannot be forwarded", id)
	}
	if content, err = forwardContent(obj, orig); err != nil {
		return "", "", err
	}
	var origObj map[string]json.RawMessage
	_ = json.Unmarshal([]byte(orig.Content), &origObj)
	return content, searchText(orig.MsgType, orig.Content, origObj), nil
}

// messageOf is a stored message without its groupReadCount.
func messageOf(r db.GetMessageRow) Message {
	m := Message{
		ID: r.ID, ClientMsgID: r.ClientMsgID, FromID: r.FromID, ToID: r.ToID, ChatType: ChatType(r.ChatType),
		MsgType: MsgType(r.MsgType), Content: r.Content, Seq: r.Seq, CreatedAt: r.CreatedAt, EditedAt: r.EditedAt,
		Revoked: r.RevokedAt != nil, GroupSeq: r.GroupSeq,
	}
	m.setRevoker(r.RevokedBy)
	return m
}

// setRevoker sets who revoked a revoked message from the stored revoker: a user's id, or
// empty for an administrator (see AdminRevoke).
func (m *Message) setRevoker(by *string) {
	switch {
	case !m.Revoked:
	case by == nil || *by == "":
		m.RevokedByAdmin = true
	default:
		m.RevokedBy = by
	}
}

// stored is a stored message with, in a group, its groupReadCount.
func (s *Service) stored(ctx context.Context, q *db.Queries, r db.GetMessageRow) (Message, error) {
	m := messageOf(r)
	if m.ChatType != Group {
		return m, nil
	}
	n, err := q.CountGroupReaders(ctx, db.CountGroupReadersParams{ChatID: r.ChatID, Seq: r.Seq, SenderID: r.FromID})
	if err != nil {
		return Message{}, fault.Wrap(err, "count readers")
	}
	m.GroupReadCount = &n
	return m, nil
}
