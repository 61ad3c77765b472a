package push

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/idcursor"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/presence"
)

// Presence tells which of some users, of any apps, have a live connection on any instance.
type Presence interface {
	OnlineOf(ctx context.Context, users []presence.User) (map[presence.User]bool, error)
}

// OfflinePush sends a notification of every stored IM message to the devices of the
// recipients no instance holds a connection of, unless they muted the conversation.
//
// It reads the stored messages behind a durable cursor (push_im_cursor, internal/idcursor),
// in batches, as the search indexer does, rather than taking them from the send path: a
// send then costs nothing more (no row, no job, no hand-over that a full buffer or a crash
// could lose), and a message committed before a crash is still pushed after it. A batch's
// pushes (rows and River jobs) are queued in the transaction that moves the cursor past its
// messages, so a batch is pushed exactly once: a pass that fails, or an instance that dies
// mid-pass, rolls back both. The price is latency: a push waits for the next pass (every
// Interval, 500 ms by default) instead of leaving at once; a notification is no faster than
// its vendor anyway. Instances take turns through the cursor row's lock; presence is
// shared, so whichever instance's turn it is answers for every connection.
//
// Each pass costs a fixed number of statements whatever its size (the messages, the members
// of their groups, presence, mutes, the senders' nicknames), then those of enqueueTx for
// each message that has an offline recipient. A message older than Horizon when its pass
// comes (the worker was down, or behind) is passed over: a notification that late is noise,
// and the recipient gets the message when his client syncs.
type OfflinePush struct {
	s        *Service
	presence Presence
	opts     OfflineOptions
	// beforeCommit, for tests, runs at the end of a pass's transaction; an error rolls it back.
	beforeCommit func() error
}

// OfflineOptions tune the worker; zero values take the defaults.
type OfflineOptions struct {
	Interval time.Duration // 500ms: between passes that found no full batch (XUQM_PUSH_OFFLINE_INTERVAL)
	Horizon  time.Duration // 10m: older messages are not pushed (XUQM_PUSH_OFFLINE_HORIZON)
	Batch    int           // 1000: the most messages one pass looks at
}

// OfflinePush is the worker that pushes IM messages to offline recipients; Run runs it.
func (s *Service) OfflinePush(presence Presence, opts OfflineOptions) *OfflinePush {
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	if opts.Horizon <= 0 {
		opts.Horizon = 10 * time.Minute
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	return &OfflinePush{s: s, presence: presence, opts: opts}
}

// Run pushes stored messages until ctx ends. Run it on every instance that tracks presence;
// they take turns.
func (o *OfflinePush) Run(ctx context.Context) {
	for {
		n, err := o.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			o.s.opts.Log.Warn("offline push", "err", err)
		}
		if err == nil && n >= o.opts.Batch {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.opts.Interval):
		}
	}
}

// Pass looks at up to a batch of the messages not looked at yet, queues their pushes, and
// returns how many it looked at. It does nothing while another instance's worker holds the
// cursor.
func (o *OfflinePush) Pass(ctx context.Context) (int, error) {
	looked := 0
	err := postgres.WithTx(ctx, o.s.pool, func(tx pgx.Tx) error {
		q := postgres.QueriesPlannedEachRun(tx) // for im_messages' size now
		row, err := q.LockPushIMCursor(ctx)
		if errors.Is(err, postgres.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fault.Wrap(err, "lock offline push cursor")
		}
		cur := idcursor.Cursor{To: row.PushedTo, Gaps: row.Gaps, GapsSeen: row.GapsSeen}
		msgs, err := q.ListMessagesToPush(ctx, db.ListMessagesToPushParams{AfterID: cur.To, GapIds: cur.Gaps, MaxRows: int32(o.opts.Batch)})
		if err != nil {
			return fault.Wrap(err, "load messages to push")
		}
		looked = len(msgs)
		now := o.s.now().Truncate(time.Microsecond) // as PostgreSQL keeps it
		pushes, err := o.plan(ctx, q, msgs, now)
		if err != nil {
			return err
		}
		for _, p := range pushes {
			if _, err := o.s.enqueueTx(ctx, tx, p.appID, sourceIM, p.push, now); err != nil && !errors.Is(err, errNoDevices) {
				return fault.Wrap(err, "queue offline push")
			}
		}
		ids := make([]int64, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		if next := cur.Next(ids, now); cur.Moved(next) {
			if err := q.MovePushIMCursor(ctx, db.MovePushIMCursorParams{PushedTo: next.To, Gaps: next.Gaps, GapsSeen: next.GapsSeen}); err != nil {
				return fault.Wrap(err, "move offline push cursor")
			}
		}
		if o.beforeCommit != nil {
			return o.beforeCommit()
		}
		return nil
	})
	return looked, err
}

// errNoDevices is a message's push whose offline recipients have no device: nothing is written.
var errNoDevices = errors.New("no devices")

type offlinePush struct {
	appID int64
	push  Push
}

// plan is the pushes of a batch of messages: to each message's recipients, less its sender,
// those online, and those who muted its conversation; one query each for the whole batch.
func (o *OfflinePush) plan(ctx context.Context, q *db.Queries, msgs []db.ListMessagesToPushRow, now time.Time) ([]offlinePush, error) {
	var groups db.ListMembersOfGroupsParams
	var fresh []db.ListMessagesToPushRow
	for _, m := range msgs {
		if m.RevokedAt != nil || now.Sub(m.CreatedAt) > o.opts.Horizon {
			continue
		}
		fresh = append(fresh, m)
		if im.ChatType(m.ChatType) == im.Group {
			groups.AppIds, groups.GroupIds = append(groups.AppIds, m.AppID), append(groups.GroupIds, m.ToID)
		}
	}
	// Group messages are read-diffused: their members are read here, never on the send path.
	type group struct {
		appID int64
		id    string
	}
	members := map[group][]string{}
	if len(groups.AppIds) > 0 {
		rows, err := q.ListMembersOfGroups(ctx, groups)
		if err != nil {
			return nil, fault.Wrap(err, "load group members")
		}
		for _, r := range rows {
			g := group{r.AppID, r.GroupID}
			members[g] = append(members[g], r.UserID)
		}
	}
	recipients := make([][]presence.User, len(fresh))
	var everyone []presence.User
	for i, m := range fresh {
		users := []string{m.ToID}
		if im.ChatType(m.ChatType) == im.Group {
			users = members[group{m.AppID, m.ToID}]
		}
		for _, u := range users {
			if u != m.FromID {
				recipients[i] = append(recipients[i], presence.User{AppID: m.AppID, UserID: u})
			}
		}
		everyone = append(everyone, recipients[i]...)
	}
	if len(everyone) == 0 {
		return nil, nil
	}
	online, err := o.presence.OnlineOf(ctx, everyone)
	if err != nil {
		return nil, fault.Wrap(err, "ask presence")
	}
	type mute struct {
		user             presence.User
		chatType, target string
	}
	var asked db.ListMutesOfConversationsParams
	var senders db.ListPushSenderNicknamesParams
	for i, m := range fresh {
		kept := recipients[i][:0]
		for _, u := range recipients[i] {
			if !online[u] {
				kept = append(kept, u)
				asked.AppIds, asked.UserIds = append(asked.AppIds, u.AppID), append(asked.UserIds, u.UserID)
				asked.ChatTypes, asked.TargetIds = append(asked.ChatTypes, m.ChatType), append(asked.TargetIds, target(m))
			}
		}
		recipients[i] = kept
		if len(kept) > 0 {
			senders.AppIds, senders.UserIds = append(senders.AppIds, m.AppID), append(senders.UserIds, m.FromID)
		}
	}
	if len(asked.AppIds) == 0 {
		return nil, nil
	}
	mutes, err := q.ListMutesOfConversations(ctx, asked)
	if err != nil {
		return nil, fault.Wrap(err, "load conversation mutes")
	}
	muted := make(map[mute]bool, len(mutes))
	for _, r := range mutes {
		muted[mute{presence.User{AppID: r.AppID, UserID: r.UserID}, r.ChatType, r.TargetID}] = true
	}
	names, err := q.ListPushSenderNicknames(ctx, senders)
	if err != nil {
		return nil, fault.Wrap(err, "load senders' nicknames")
	}
	nickname := make(map[presence.User]string, len(names))
	for _, r := range names {
		nickname[presence.User{AppID: r.AppID, UserID: r.UserID}] = r.Nickname
	}
	var out []offlinePush
	for i, m := range fresh {
		var users []string
		for _, u := range recipients[i] {
			if !muted[mute{u, m.ChatType, target(m)}] {
				users = append(users, u.UserID)
			}
		}
		if len(users) == 0 {
			continue
		}
		n, err := notification(m, nickname[presence.User{AppID: m.AppID, UserID: m.FromID}])
		if err != nil {
			return nil, err
		}
		out = append(out, offlinePush{appID: m.AppID, push: Push{UserIDs: users, Notification: n}})
	}
	return out, nil
}

// target is the conversation of a message as its recipient sees it: the sender, or the group.
func target(m db.ListMessagesToPushRow) string {
	if im.ChatType(m.ChatType) == im.Group {
		return m.ToID
	}
	return m.FromID
}

// notification is the push of a message from a sender with that nickname.
func notification(m db.ListMessagesToPushRow, nickname string) (Notification, error) {
	title := nickname
	if title == "" {
		title = m.FromID
	}
	data, err := json.Marshal(map[string]string{
		"chatType": m.ChatType, "targetId": target(m), "messageId": strconv.FormatInt(m.ID, 10), "seq": strconv.FormatInt(m.Seq, 10),
	})
	if err != nil {
		return Notification{}, err
	}
	return Notification{Title: truncate(title, MaxTitle), Data: data, Sound: "default",
		Body: Preview(im.Message{MsgType: im.MsgType(m.MsgType), Content: m.Content}),
		// A conversation's newer message replaces its older notification.
		CollapseID: truncate(m.ChatType+":"+target(m), MaxCollapse)}, nil
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
