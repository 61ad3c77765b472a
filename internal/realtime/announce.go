package realtime

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"

	"github.com/xuqmgroup/xuqm/internal/eventbus"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// DeliverySubject is the bus subject of the IM core's stored events, for live delivery.
const DeliverySubject = "im.deliver"

// Announcer is the IM core's im.Announcer over the event bus: every instance's hub hears
// what any instance stored. It is the one pipeline of IM events: the core says what it
// stored, this package owns how that travels and the frames it becomes.
type Announcer struct {
	bus eventbus.Bus
	log *slog.Logger
}

var _ im.Announcer = (*Announcer)(nil)

// NewAnnouncer announces on bus.
func NewAnnouncer(bus eventbus.Bus, log *slog.Logger) *Announcer {
	if log == nil {
		log = slog.Default()
	}
	return &Announcer{bus: bus, log: log}
}

// Announce implements im.Announcer. A failure only delays the events until the receivers
// sync, so it is logged.
func (a *Announcer) Announce(ctx context.Context, an im.Announcement) {
	if err := a.bus.Publish(ctx, DeliverySubject, encodeAnnouncement(an)); err != nil {
		a.log.Warn("announce IM events", "err", err)
	}
}

// Flush waits until the bus has what was announced so far, when it can tell (NATS).
func (a *Announcer) Flush() error {
	if f, ok := a.bus.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// encodeAnnouncement is the bus message of an announcement: compact, so that a group
// event crosses instances once, with its data once and no member list.
func encodeAnnouncement(a im.Announcement) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(a.Users)))
	for _, d := range a.Users {
		b = binary.AppendVarint(b, d.AppID)
		b = appendBytes(b, []byte(d.Type))
		b = appendBytes(b, d.Data)
		b = binary.AppendUvarint(b, uint64(len(d.Recipients)))
		for _, r := range d.Recipients {
			b = appendBytes(b, []byte(r.UserID))
			b = binary.AppendVarint(b, r.Seq)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(a.Groups)))
	for _, g := range a.Groups {
		b = binary.AppendVarint(b, g.AppID)
		b = appendBytes(b, []byte(g.GroupID))
		b = binary.AppendVarint(b, g.Seq)
		b = appendBytes(b, []byte(g.Type))
		b = appendBytes(b, g.Data)
		b = binary.AppendVarint(b, g.MembersSeq)
		b = binary.AppendUvarint(b, uint64(len(g.Skip)))
		for _, u := range g.Skip {
			b = appendBytes(b, []byte(u))
		}
	}
	return b
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errBadAnnouncement = errors.New("realtime: malformed IM announcement")

// decodeAnnouncement reads what encodeAnnouncement wrote. Data slices alias b.
func decodeAnnouncement(b []byte) (im.Announcement, error) {
	var a im.Announcement
	r := reader{b: b}
	n := r.count(len(b))
	a.Users = make([]im.Delivery, 0, n)
	for range n {
		d := im.Delivery{AppID: r.varint(), Type: string(r.bytes()), Data: r.bytes()}
		d.Recipients = make([]im.Recipient, r.count(len(b)))
		for i := range d.Recipients {
			d.Recipients[i] = im.Recipient{UserID: string(r.bytes()), Seq: r.varint()}
		}
		a.Users = append(a.Users, d)
	}
	n = r.count(len(b))
	a.Groups = make([]im.GroupDelivery, 0, n)
	for range n {
		g := im.GroupDelivery{AppID: r.varint(), GroupID: string(r.bytes()), Seq: r.varint(), Type: string(r.bytes()), Data: r.bytes(), MembersSeq: r.varint()}
		if k := r.count(len(b)); k > 0 {
			g.Skip = make([]string, k)
			for i := range g.Skip {
				g.Skip[i] = string(r.bytes())
			}
		}
		a.Groups = append(a.Groups, g)
	}
	if r.err {
		return im.Announcement{}, errBadAnnouncement
	}
	return a, nil
}

type reader struct {
	b   []byte
	err bool
}

// count reads a length that cannot exceed limit (each item takes a byte at least).
func (r *reader) count(limit int) uint64 {
	n := r.uvarint()
	if n > uint64(limit) {
		r.err, r.b = true, nil
		return 0
	}
	return n
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
