package im

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// DeliverySubject is the bus subject of stored events, for live delivery.
const DeliverySubject = "im.deliver"

// Recipient is a user who got an event, and its seq in his log.
type Recipient struct {
	UserID string
	Seq    int64
}

// Delivery is one event stored for several users (the same data, each user's own seq).
type Delivery struct {
	AppID      int64
	Type       string
	Data       []byte // the frame's data, JSON
	Recipients []Recipient
}

// Frame is the WebSocket frame of the event for the recipient whose seq is seq.
func (d *Delivery) Frame(seq int64) []byte {
	return EventFrame(d.Type, seq, d.Data)
}

// EventFrame is the frame {"type":…,"seq":…,"data":…} of a stored event.
func EventFrame(typ string, seq int64, data []byte) []byte {
	b := make([]byte, 0, len(typ)+len(data)+40)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}')
}

// EncodeDeliveries is the bus message of deliveries: compact, so that a group message
// crosses instances once with its data once.
func EncodeDeliveries(ds []Delivery) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(ds)))
	for _, d := range ds {
		b = binary.AppendVarint(b, d.AppID)
		b = appendBytes(b, []byte(d.Type))
		b = appendBytes(b, d.Data)
		b = binary.AppendUvarint(b, uint64(len(d.Recipients)))
		for _, r := range d.Recipients {
			b = appendBytes(b, []byte(r.UserID))
			b = binary.AppendVarint(b, r.Seq)
		}
	}
	return b
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errBadDelivery = errors.New("im: malformed delivery")

// DecodeDeliveries reads what EncodeDeliveries wrote. Data slices alias b.
func DecodeDeliveries(b []byte) ([]Delivery, error) {
	r := reader{b: b}
	n := r.uvarint()
	if n > uint64(len(b)) {
		return nil, errBadDelivery
	}
	ds := make([]Delivery, 0, n)
	for range n {
		d := Delivery{AppID: r.varint(), Type: string(r.bytes()), Data: r.bytes()}
		m := r.uvarint()
		if m > uint64(len(b)) {
			return nil, errBadDelivery
		}
		d.Recipients = make([]Recipient, m)
		for i := range d.Recipients {
			d.Recipients[i] = Recipient{UserID: string(r.bytes()), Seq: r.varint()}
		}
		ds = append(ds, d)
	}
	if r.err {
		return nil, errBadDelivery
	}
	return ds, nil
}

type reader struct {
	b   []byte
	err bool
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err, r.b = true, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// outbox collects the events a transaction stored, to announce once it has committed.
type outbox struct {
	deliveries []Delivery
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
	out.deliveries = append(out.deliveries, d)
	return nil
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

// announce puts stored events on the bus. A failure only delays them until the
// receivers sync, so it is logged, not returned.
func (s *Service) announce(ctx context.Context, ds []Delivery) {
	if len(ds) == 0 {
		return
	}
	if err := s.bus.Publish(context.WithoutCancel(ctx), DeliverySubject, EncodeDeliveries(ds)); err != nil {
		s.opts.Log.Warn("announce IM events", "err", err)
	}
}

// LatestEventSeq is the user's latest event seq; 0 when he has none.
func (s *Service) LatestEventSeq(ctx context.Context, u User) (int64, error) {
	seq, err := s.q.GetUserEventSeq(ctx, db.GetUserEventSeqParams{AppID: u.AppID, UserID: u.UserID})
	if err != nil {
		return 0, fault.Wrap(err, "load event seq")
	}
	return seq, nil
}

// EventsAfter returns up to limit of the user's events after seq, in order. Message events
// show the message as it is now.
func (s *Service) EventsAfter(ctx context.Context, u User, after int64, limit int) ([]StoredEvent, error) {
	rows, err := s.q.ListUserEventsAfter(ctx, db.ListUserEventsAfterParams{AppID: u.AppID, UserID: u.UserID, AfterSeq: after, MaxEvents: int32(limit)})
	if err != nil {
		return nil, fault.Wrap(err, "load events")
	}
	events := make([]StoredEvent, 0, len(rows))
	for _, r := range rows {
		e := StoredEvent{Seq: r.Seq, Type: r.Type, Data: r.Data}
		if r.MessageID != nil {
			m := Message{
				ID: *r.MessageID, ClientMsgID: r.ClientMsgID, FromID: *r.FromID, ToID: *r.ToID,
				ChatType: ChatType(*r.ChatType), MsgType: MsgType(*r.MsgType), Content: *r.Content,
				Seq: *r.MessageSeq, CreatedAt: *r.MessageCreatedAt, EditedAt: r.EditedAt, Revoked: r.RevokedAt != nil,
			}
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
		events = append(events, e)
	}
	return events, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
