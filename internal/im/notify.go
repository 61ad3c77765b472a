package im

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// The app events a webhook can subscribe to (the contract's WebhookEvent).
const (
	WebhookMessageSent     = "message.sent"
	WebhookMessageRevoked  = "message.revoked"
	WebhookMessageEdited   = "message.edited"
	WebhookGroupCreated    = "group.created"
	WebhookGroupDissolved  = "group.dissolved"
	WebhookGroupMembers    = "group.members.changed"
	WebhookFriendRequested = "friend.requested"
	WebhookFriendAdded     = "friend.added"
	WebhookFriendRejected  = "friend.rejected"
	WebhookFriendDeleted   = "friend.deleted"
	WebhookAccountCreated  = "account.created"
	WebhookAccountDeleted  = "account.deleted"
)

// AppEvent is an event of an app for its webhooks; Data is encoded as the delivery's data.
type AppEvent struct {
	AppID int64
	Event string
	Data  any
}

// Actor is who did something, as the operation log and the webhooks name him: an
// administrator (ActorTenant, ActorOps, ActorAppServer and his id) or a user (ActorUser).
type Actor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// revokedEvent is the data of message.revoked: the message, and who revoked it.
type revokedEvent struct {
	Message
	Revoker Actor `json:"revoker"`
}

// Notifier queues an app's events for its webhooks in the transaction that stores them, so
// that an event and its deliveries are committed together or not at all (webhooks).
type Notifier interface {
	// Wants tells whether a webhook of the app wants event, from what this instance caches:
	// where nothing is wanted, the send path opens no transaction for it.
	Wants(ctx context.Context, appID int64, event string) bool
	// NotifyTx queues, in tx, a delivery of each event to each webhook that wants it; an
	// event no webhook wants queues nothing.
	NotifyTx(ctx context.Context, tx pgx.Tx, events []AppEvent) error
}

// notify queues an app event for the app's webhooks, in the transaction of out: call it
// from inside inTx, once the change it reports is stored.
func (o *outbox) notify(appID int64, event string, data any) {
	o.events = append(o.events, AppEvent{AppID: appID, Event: event, Data: data})
}

// wants is Notifier.Wants, false without a notifier.
func (s *Service) wants(ctx context.Context, appID int64, event string) bool {
	return s.opts.Notifier != nil && s.opts.Notifier.Wants(ctx, appID, event)
}

// queueEvents queues the app events of a transaction in it.
func (s *Service) queueEvents(ctx context.Context, tx pgx.Tx, events []AppEvent) error {
	if len(events) == 0 || s.opts.Notifier == nil {
		return nil
	}
	return s.opts.Notifier.NotifyTx(ctx, tx, events)
}

// sendGroupMessage stores a group message in one statement; when a webhook of the app wants
// message.sent, its delivery is queued in the same transaction.
func (s *Service) sendGroupMessage(ctx context.Context, m Message, p db.SendGroupMessageParams) (db.SendGroupMessageRow, error) {
	if !s.wants(ctx, p.AppID, WebhookMessageSent) {
		return s.q.SendGroupMessage(ctx, p)
	}
	var row db.SendGroupMessageRow
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if row, err = s.q.WithTx(tx).SendGroupMessage(ctx, p); err != nil {
			return err
		}
		zero := int32(0)
		m.ID, m.Seq, m.CreatedAt, m.GroupReadCount, m.GroupSeq = row.ID, row.Seq, row.CreatedAt, &zero, &row.GroupSeq
		return s.queueEvents(ctx, tx, []AppEvent{{AppID: p.AppID, Event: WebhookMessageSent, Data: m}})
	})
	return row, err
}

// sendSingleMessages stores a batch of one-to-one messages in one statement; when a webhook
// of an app of the batch wants message.sent, the batch's deliveries are queued in the same
// transaction (one insert for the batch).
func (s *Service) sendSingleMessages(ctx context.Context, batch []*pendingSingle, arg db.SendSingleMessagesParams) ([]db.SendSingleMessagesRow, error) {
	wanted := make(map[int64]bool, 1)
	some := false
	for _, p := range batch {
		if _, seen := wanted[p.p.AppID]; !seen {
			wanted[p.p.AppID] = s.wants(ctx, p.p.AppID, WebhookMessageSent)
			some = some || wanted[p.p.AppID]
		}
	}
	if !some {
		return s.q.SendSingleMessages(ctx, arg)
	}
	var rows []db.SendSingleMessagesRow
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if rows, err = s.q.WithTx(tx).SendSingleMessages(ctx, arg); err != nil {
			return err
		}
		var events []AppEvent
		for _, r := range rows {
			if r.N < 1 || r.N > int64(len(batch)) {
				continue
			}
			p := batch[r.N-1]
			if !wanted[p.p.AppID] {
				continue
			}
			m := p.m
			m.ID, m.Seq, m.CreatedAt = r.ID, r.Seq, r.CreatedAt
			events = append(events, AppEvent{AppID: p.p.AppID, Event: WebhookMessageSent, Data: m})
		}
		return s.queueEvents(ctx, tx, events)
	})
	return rows, err
}

// Draft is a message about to be stored, as a before-send hook sees it.
type Draft struct {
	FromID      string   `json:"fromId"`
	ToID        string   `json:"toId"`
	ChatType    ChatType `json:"chatType"`
	MsgType     MsgType  `json:"msgType"`
	Content     string   `json:"content"`
	ClientMsgID *string  `json:"clientMsgId"`
}

// BeforeSend may stop a message before it is stored; its error is the sender's answer.
type BeforeSend interface {
	Check(ctx context.Context, appID int64, d Draft) error
}

// beforeSend asks the app's before-send hook, when there is one.
func (s *Service) beforeSend(ctx context.Context, u User, in SendInput, content string) error {
	if s.opts.BeforeSend == nil {
		return nil
	}
	d := Draft{FromID: u.UserID, ToID: in.ToID, ChatType: in.ChatType, MsgType: in.MsgType, Content: content}
	if in.ClientMsgID != "" {
		d.ClientMsgID = &in.ClientMsgID
	}
	return s.opts.BeforeSend.Check(ctx, u.AppID, d)
}
