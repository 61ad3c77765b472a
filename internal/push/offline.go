package push

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// Presence tells which of some users have a live connection on any instance.
type Presence interface {
	Online(ctx context.Context, appID int64, userIDs []string) ([]string, error)
}

// OfflinePush is the IM core's message hook (im.MessageHook) that sends a notification to
// the devices of the recipients no instance holds a connection of, unless they muted the
// conversation. The instance that stored the message decides, once, for every recipient:
// presence is shared, so no other instance pushes the same message again.
type OfflinePush struct {
	s        *Service
	presence Presence
	work     chan offlineMessage
	wg       sync.WaitGroup
	closing  sync.Once
}

type offlineMessage struct {
	appID      int64
	m          im.Message
	recipients []string
}

// offlineBacklog is how many stored messages may wait for their offline check; beyond it
// a message's offline push is dropped (and logged) rather than slowing its sender.
const offlineBacklog = 4096

// OfflinePush starts workers that push IM messages to offline recipients. Close stops them.
func (s *Service) OfflinePush(presence Presence, workers int) *OfflinePush {
	o := &OfflinePush{s: s, presence: presence, work: make(chan offlineMessage, offlineBacklog)}
	for range max(1, workers) {
		o.wg.Go(func() {
			for w := range o.work {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := o.push(ctx, w); err != nil {
					s.opts.Log.Warn("offline push", "app", w.appID, "message", w.m.ID, "err", err)
				}
				cancel()
			}
		})
	}
	return o
}

var _ im.MessageHook = (*OfflinePush)(nil)

// Accepted takes a stored message; it runs on the sender's path, so it only hands it on.
func (o *OfflinePush) Accepted(_ context.Context, appID int64, m im.Message, recipients []string) {
	select {
	case o.work <- offlineMessage{appID: appID, m: m, recipients: recipients}:
	default:
		o.s.opts.Log.Warn("offline push: backlog full; dropped", "app", appID, "message", m.ID)
	}
}

// Close lets the waiting messages be pushed, then stops.
func (o *OfflinePush) Close() {
	o.closing.Do(func() { close(o.work) })
	o.wg.Wait()
}

// errNoDevices rolls back the push of a message whose offline recipients have no device.
var errNoDevices = errors.New("no devices")

func (o *OfflinePush) push(ctx context.Context, w offlineMessage) error {
	m := w.m
	recipients := w.recipients
	if m.ChatType == im.Group && len(recipients) == 0 {
		// Group messages are read-diffused: the send path names no recipients, so the members
		// are read here, on the offline worker, never on the sender's path.
		var err error
		if recipients, err = o.s.q.ListGroupMemberIDs(ctx, db.ListGroupMemberIDsParams{AppID: w.appID, GroupID: m.ToID}); err != nil {
			return err
		}
	}
	users := slices.DeleteFunc(slices.Clone(recipients), func(u string) bool { return u == m.FromID })
	if len(users) == 0 {
		return nil
	}
	online, err := o.presence.Online(ctx, w.appID, users)
	if err != nil {
		return err
	}
	users = slices.DeleteFunc(users, func(u string) bool { return slices.Contains(online, u) })
	if len(users) == 0 {
		return nil
	}
	// The conversation as the recipient sees it: the sender, or the group.
	target := m.FromID
	if m.ChatType == im.Group {
		target = m.ToID
	}
	muted, err := o.s.q.UsersMutingConversation(ctx, db.UsersMutingConversationParams{AppID: w.appID, ChatType: string(m.ChatType), TargetID: target, UserIds: users})
	if err != nil {
		return err
	}
	users = slices.DeleteFunc(users, func(u string) bool { return slices.Contains(muted, u) })
	if len(users) == 0 {
		return nil
	}
	title, err := o.s.q.GetPushSenderNickname(ctx, db.GetPushSenderNicknameParams{AppID: w.appID, UserID: m.FromID})
	if err != nil || title == "" {
		title = m.FromID
	}
	data, err := json.Marshal(map[string]string{
		"chatType": string(m.ChatType), "targetId": target, "messageId": strconv.FormatInt(m.ID, 10), "seq": strconv.FormatInt(m.Seq, 10),
	})
	if err != nil {
		return err
	}
	n := Notification{Title: truncate(title, MaxTitle), Body: Preview(m), Data: data, Sound: "default",
		// A conversation's newer message replaces its older notification.
		CollapseID: truncate(string(m.ChatType)+":"+target, MaxCollapse)}
	_, err = o.s.enqueue(ctx, w.appID, sourceIM, Push{UserIDs: users, Notification: n}, time.Now().Truncate(time.Microsecond))
	if errors.Is(err, errNoDevices) {
		return nil
	}
	return err
}

// previewLength is how much of a text a notification shows.
const previewLength = 100

// Preview is a notification's body for a message: its text, or what kind of message it is.
func Preview(m im.Message) string {
	var obj struct {
		Text  string `json:"text"`
		Name  string `json:"name"`
		Title string `json:"title"`
	}
	if m.MsgType != im.Text {
		_ = json.Unmarshal([]byte(m.Content), &obj)
	}
	var s string
	switch m.MsgType {
	case im.Text:
		s = m.Content
	case im.Image:
		s = "[Image]"
	case im.Audio:
		s = "[Voice message]"
	case im.Video:
		s = "[Video]"
	case im.File:
		s = "[File] " + obj.Name
	case im.Location:
		s = "[Location]"
	case im.Notify, im.Quote:
		s = obj.Text
	case im.RichText:
		s = "[Rich text]"
	case im.CallAudio:
		s = "[Voice call]"
	case im.CallVideo:
		s = "[Video call]"
	case im.Forward:
		s = "[Forwarded message]"
	case im.Merge:
		s = "[Chat history] " + obj.Title
	}
	if s == "" {
		s = "[Message]"
	}
	return truncate(s, previewLength)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
