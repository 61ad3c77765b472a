package im

import "context"

// The app events a webhook can subscribe to (the contract's WebhookEvent).
const (
	WebhookMessageSent    = "message.sent"
	WebhookMessageRevoked = "message.revoked"
	WebhookMessageEdited  = "message.edited"
	WebhookGroupCreated   = "group.created"
	WebhookGroupDissolved = "group.dissolved"
	WebhookGroupMembers   = "group.members.changed"
	WebhookFriendAdded    = "friend.added"
	WebhookAccountCreated = "account.created"
	WebhookAccountDeleted = "account.deleted"
)

// Notifier is told of an app's IM events once they are committed (webhooks). It must not
// block: it queues the work.
type Notifier interface {
	Notify(ctx context.Context, appID int64, event string, data any)
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

func (s *Service) notify(ctx context.Context, appID int64, event string, data any) {
	if s.opts.Notifier != nil {
		s.opts.Notifier.Notify(ctx, appID, event, data)
	}
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
