package realtime

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// Client frame types.
const (
	framePing = "ping"
	frameSync = "sync"
	frameSend = "send"
	frameRead = "read"
)

// clientFrame is any frame a client sends; which fields count depends on Type.
type clientFrame struct {
	Type     string          `json:"type"`
	ID       *string         `json:"id"`
	AfterSeq *int64          `json:"afterSeq"`
	Groups   []syncGroup     `json:"groups"`
	Data     json.RawMessage `json:"data"`
}

// syncGroup is a group of a sync frame: replay its events after AfterSeq.
type syncGroup struct {
	GroupID  string `json:"groupId"`
	AfterSeq int64  `json:"afterSeq"`
}

// maxSyncGroups bounds the groups of one sync frame (asyncapi.yaml).
const maxSyncGroups = 1000

// sendData is the data of a send frame (the contract's SendMessage).
type sendData struct {
	ToID        string `json:"toId"`
	ChatType    string `json:"chatType"`
	MsgType     string `json:"msgType"`
	Content     string `json:"content"`
	ClientMsgID string `json:"clientMsgId"`
}

// readData is the data of a client read frame.
type readData struct {
	TargetID string `json:"targetId"`
	ChatType string `json:"chatType"`
	Seq      *int64 `json:"seq"`
}

// parseFrame reads a client frame and checks it against its schema (asyncapi.yaml). The
// id is returned whenever it could be read, so that an error frame can carry it.
func parseFrame(b []byte) (clientFrame, error) {
	var f clientFrame
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return f, fault.Invalidf("a frame is a JSON object")
	}
	if err := json.Unmarshal(b, &f); err != nil {
		// Keep what can be read of the id for the answer.
		var idOnly struct {
			ID *string `json:"id"`
		}
		if json.Unmarshal(b, &idOnly) == nil && validID(idOnly.ID) {
			f.ID = idOnly.ID
		} else {
			f.ID = nil
		}
		return f, fault.Invalidf("the frame does not match its schema: %v", jsonReason(err))
	}
	if !validID(f.ID) {
		f.ID = nil
		return f, fault.Invalidf("id must be a string of 1 to 64 characters")
	}
	switch f.Type {
	case framePing:
	case frameSync:
		if f.AfterSeq == nil || *f.AfterSeq < 0 {
			return f, fault.Invalidf("sync needs afterSeq, an integer of at least 0")
		}
		if len(f.Groups) > maxSyncGroups {
			return f, fault.Invalidf("sync takes at most %d groups", maxSyncGroups)
		}
		for i, g := range f.Groups {
			if g.GroupID == "" || utf8.RuneCountInString(g.GroupID) > 64 || g.AfterSeq < 0 {
				return f, fault.Invalidf("groups[%d] needs a groupId of 1 to 64 characters and an afterSeq of at least 0", i)
			}
		}
	case frameSend:
		if f.ID == nil {
			return f, fault.Invalidf("send needs an id")
		}
		if len(f.Data) == 0 || f.Data[0] != '{' {
			return f, fault.Invalidf("send needs data, the message to send")
		}
	case frameRead:
		if len(f.Data) == 0 || f.Data[0] != '{' {
			return f, fault.Invalidf("read needs data with targetId and chatType")
		}
	case "":
		return f, fault.Invalidf("a frame needs a type")
	default:
		return f, fault.Invalidf("unknown frame type %q; want ping, sync, send or read", f.Type)
	}
	return f, nil
}

func validID(id *string) bool {
	return id == nil || (*id != "" && utf8.RuneCountInString(*id) <= 64)
}

func jsonReason(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return te.Field + " must be " + te.Type.String()
	}
	return "not valid JSON"
}

func (f clientFrame) sendInput() (im.SendInput, error) {
	var d sendData
	if err := json.Unmarshal(f.Data, &d); err != nil {
		return im.SendInput{}, fault.Invalidf("data does not match SendMessage: %v", jsonReason(err))
	}
	switch {
	case d.ToID == "":
		return im.SendInput{}, fault.Invalidf("data.toId is required")
	case d.ChatType == "":
		return im.SendInput{}, fault.Invalidf("data.chatType is required")
	case d.MsgType == "":
		return im.SendInput{}, fault.Invalidf("data.msgType is required")
	case d.Content == "":
		return im.SendInput{}, fault.Invalidf("data.content is required")
	}
	return im.SendInput{ToID: d.ToID, ChatType: im.ChatType(d.ChatType), MsgType: im.MsgType(d.MsgType), Content: d.Content, ClientMsgID: d.ClientMsgID}, nil
}

func (f clientFrame) readInput() (readData, error) {
	var d readData
	if err := json.Unmarshal(f.Data, &d); err != nil {
		return d, fault.Invalidf("data does not match ReadRequest: %v", jsonReason(err))
	}
	switch {
	case d.TargetID == "" || utf8.RuneCountInString(d.TargetID) > 64:
		return d, fault.Invalidf("data.targetId must be 1 to 64 characters long")
	case d.ChatType != string(im.Single) && d.ChatType != string(im.Group):
		return d, fault.Invalidf("data.chatType must be SINGLE or GROUP")
	case d.Seq != nil && *d.Seq < 0:
		return d, fault.Invalidf("data.seq must be at least 0")
	}
	return d, nil
}

// eventFrame is the frame {"type":…,"seq":…,"data":…} of a user event.
func eventFrame(typ string, seq int64, data []byte) []byte {
	b := make([]byte, 0, len(typ)+len(data)+40)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	return appendData(b, data)
}

// groupFrame is the frame {"type":…,"groupId":…,"groupSeq":…,"data":…} of a group event.
func groupFrame(typ, groupID string, seq int64, data []byte) []byte {
	b := make([]byte, 0, len(typ)+len(groupID)+len(data)+60)
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","groupId":`...)
	b = strconv.AppendQuote(b, groupID)
	b = append(b, `,"groupSeq":`...)
	b = strconv.AppendInt(b, seq, 10)
	return appendData(b, data)
}

// appendData ends a frame with its data: `,"data":<data>}`.
func appendData(b, data []byte) []byte {
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}')
}

// Server frames that are not stored events.

func appendID(b []byte, id *string) []byte {
	if id == nil {
		return b
	}
	b = append(b, `,"id":`...)
	return strconv.AppendQuote(b, *id)
}

func pongFrame(id *string) []byte {
	b := appendID([]byte(`{"type":"pong"`), id)
	return append(b, '}')
}

// syncedFrame ends a sync: the user's latest event seq, and each of his groups with its
// latest event seq.
func syncedFrame(id *string, seq int64, groups []im.GroupPosition) []byte {
	b := appendID([]byte(`{"type":"synced"`), id)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"groups":[`...)
	for i, g := range groups {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"groupId":`...)
		b = strconv.AppendQuote(b, g.GroupID)
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, g.LatestSeq, 10)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func ackFrame(id *string, message []byte) []byte {
	return appendData(appendID([]byte(`{"type":"ack"`), id), message)
}

func errorFrame(id *string, code int, message string) []byte {
	b := appendID([]byte(`{"type":"error"`), id)
	data, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, message})
	return appendData(b, data)
}

func kickedFrame(seq int64, reason, message string) []byte {
	data, _ := json.Marshal(struct {
		Reason  string `json:"reason"`
		Message string `json:"message,omitempty"`
	}{reason, message})
	return appendData(strconv.AppendInt([]byte(`{"type":"kicked","seq":`), seq, 10), data)
}
