package im

import (
	"context"
	"encoding/json"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Recipient is a user who got an event, and its seq in his log.
type Recipient struct {
	UserID string
	Seq    int64
}

// Delivery is one user event stored for several users (the same data, each user's own seq).
type Delivery struct {
	AppID      int64
	Type       string
	Data       []byte // the frame's data, JSON
	Recipients []Recipient
}

// GroupDelivery is one event stored on a group's own sequence (read-diffused): whoever is a
// member when it is delivered gets it, except Skip.
type GroupDelivery struct {
	AppID   int64
	GroupID string
	Seq     int64 // the group's event seq
	Type    string
	Data    []byte // the frame's data, JSON
	// MembersSeq is the group event seq of the latest change of the members, this event's
	// own when it changes them: a cached member set older than it must be reloaded first.
	MembersSeq int64
	// Skip are members who got this change as a user event of their own (a member who
	// joins), not to be told twice.
	Skip []string
}

// Announcement is what one transaction (or one batch of sends) stored, in the order it
// was stored.
type Announcement struct {
	Users  []Delivery
	Groups []GroupDelivery
}

func (a Announcement) empty() bool { return len(a.Users) == 0 && len(a.Groups) == 0 }

// Announcer puts stored events on their way to live delivery, once they have committed.
// The realtime package implements it over the event bus, and owns how they travel and
// which frames they become. Announce must not block for long: it runs on the send path.
// A failure only delays the events until the receivers sync, so it is the announcer's
// to log.
type Announcer interface {
	Announce(ctx context.Context, a Announcement)
}

type silentAnnouncer struct{}

func (silentAnnouncer) Announce(context.Context, Announcement) {}

// outbox collects the events a transaction stored, to announce once it has committed.
type outbox struct {
	Announcement
	events []AppEvent // for the app's webhooks, queued in the transaction
}

// store gives users the event and queues it for announcement. Message events point at
// messageID (sync rebuilds their data); the others keep data.
func (s *Service) store(ctx context.Context, q *db.Queries, out *outbox, appID int64, typ string, users []string, messageID *int64, data []byte) error {
	if len(users) == 0 {
		return nil
	}
	p := db.AddUserEventsParams{AppID: appID, Type: typ, MessageID: messageID, UserIds: users}
	if messageID == nil {
		p.Data = data
	}
	rows, err := q.AddUserEvents(ctx, p)
	if err != nil {
		return fault.Wrap(err, "store "+typ+" events")
	}
	d := Delivery{AppID: appID, Type: typ, Data: data, Recipients: make([]Recipient, len(rows))}
	for i, r := range rows {
		d.Recipients[i] = Recipient{UserID: r.UserID, Seq: r.Seq}
	}
	out.Users = append(out.Users, d)
	return nil
}

// storeGroupEvent is the one way to store an event on a group's own sequence (read-
// diffused: one row, whatever the group's size), in the transaction of q, and to queue it
// for announcement once that commits. Every member at the time of delivery gets it live,
// and every member by sync from the seq he joined at; skip are members told of the change
// by a user event of their own instead (those who join). membersChanged marks an event that
// changes who is in the group: it is how every instance knows to reload its cached member
// set before delivering this event or any later one. messageID makes a message event,
// whose data sync rebuilds from the message as it is then; other events keep data.
//
// It takes the group's chat row lock (the group's sends take it too), so a transaction
// that also reads or changes the members should take it first (LockChat), for its reads to
// be in order with the sends. It returns the event's seq.
func (s *Service) storeGroupEvent(ctx context.Context, q *db.Queries, out *outbox, appID int64, groupID, typ string,
	messageID *int64, data []byte, membersChanged bool, skip []string) (int64, error) {
	p := db.AddGroupEventParams{AppID: appID, GroupID: groupID, Type: typ, MessageID: messageID, MembersChanged: membersChanged}
	if messageID == nil {
		p.Data = data
	}
	row, err := q.AddGroupEvent(ctx, p)
	if err != nil {
		return 0, fault.Wrap(err, "store group "+typ+" event")
	}
	out.Groups = append(out.Groups, GroupDelivery{AppID: appID, GroupID: groupID, Seq: row.Seq, Type: typ, Data: data,
		MembersSeq: row.MembersSeq, Skip: skip})
	return row.Seq, nil
}

// lockUsers takes the users' event counters, in the order every statement that bumps
// them takes them, for a transaction that then gives them events one statement at a
// time: in the order it needs them it could deadlock with a send to several of them.
func (s *Service) lockUsers(ctx context.Context, q *db.Queries, appID int64, users ...string) error {
	if err := q.LockUserStates(ctx, db.LockUserStatesParams{AppID: appID, UserIds: users}); err != nil {
		return fault.Wrap(err, "lock event counters")
	}
	return nil
}

// announce hands stored events to the announcer.
func (s *Service) announce(ctx context.Context, a Announcement) {
	if a.empty() {
		return
	}
	s.opts.Announcer.Announce(context.WithoutCancel(ctx), a)
}

// LatestEventSeq is the user's latest event seq; 0 when he has none.
func (s *Service) LatestEventSeq(ctx context.Context, u User) (int64, error) {
	seq, err := s.q.GetUserEventSeq(ctx, db.GetUserEventSeqParams{AppID: u.AppID, UserID: u.UserID})
	if err != nil {
		return 0, fault.Wrap(err, "load event seq")
	}
	return seq, nil
}

// EventsAfter returns up to limit of the user's events after seq, in order, and no more
// than fit in maxBytes of data (see eventPage). Message events show the message as it is now.
func (s *Service) EventsAfter(ctx context.Context, u User, after int64, limit, maxBytes int) ([]StoredEvent, error) {
	rows, err := s.q.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{AppID: u.AppID, UserID: u.UserID, AfterSeq: after,
		MaxEvents: int32(limit), MaxBytes: int64(maxBytes)})
	if err != nil {
		return nil, fault.Wrap(err, "load events")
	}
	page := newEventPage(len(rows), maxBytes)
	for _, r := range rows {
		e := StoredEvent{Seq: r.Seq, Type: r.Type, Data: r.Data}
		if r.MessageID != nil {
			m := Message{
				ID: *r.MessageID, ClientMsgID: r.ClientMsgID, FromID: *r.FromID, ToID: *r.ToID,
				ChatType: ChatType(*r.ChatType), MsgType: MsgType(*r.MsgType), Content: *r.Content,
				Seq: *r.MessageSeq, CreatedAt: *r.MessageCreatedAt, EditedAt: r.EditedAt, Revoked: r.RevokedAt != nil,
			}
			m.setRevoker(r.RevokedBy)
			if m.ChatType == Group {
				m.GroupReadCount = &r.GroupReadCount
			}
			var data any = m
			if r.Type == EventMessageRevoked && r.RevokedAt != nil {
				data = revokedData(m, *r.RevokedAt, deref(r.RevokedBy))
			}
			if e.Data, err = json.Marshal(data); err != nil {
				return nil, fault.Wrap(err, "encode event")
			}
		}
		if !page.add(e) {
			break
		}
	}
	return page.events, nil
}

// eventPage is a page of events within a byte budget: the database has cut it by the
// stored payloads, and add cuts it again by the encoded data (escapes make a content up to
// six times longer), so that the data of a page is at most maxBytes, or one event.
type eventPage struct {
	events   []StoredEvent
	bytes    int
	maxBytes int
}

func newEventPage(n, maxBytes int) eventPage {
	return eventPage{events: make([]StoredEvent, 0, n), maxBytes: maxBytes}
}

// add takes e unless the page is full; false: it is.
func (p *eventPage) add(e StoredEvent) bool {
	if len(p.events) > 0 && p.bytes+len(e.Data) > p.maxBytes {
		return false
	}
	p.bytes += len(e.Data)
	p.events = append(p.events, e)
	return true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
