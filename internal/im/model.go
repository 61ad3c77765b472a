// Package im is the IM core: one-to-one and group messages, groups and their members,
// conversations with read marks, every user's event log and every group's. Every change a user
// must see is stored as an event in the same transaction as the change, under his own sequence
// or, for what concerns a whole group, once under the group's (read-diffused), then handed to
// the Announcer for live delivery.
package im

import (
	"encoding/json"
	"time"

	"github.com/xuqmgroup/xuqm/internal/page"
)

// User is the IM user a call acts as: an account of one app.
type User struct {
	AppID  int64
	UserID string
}

// ChatType tells a one-to-one conversation from a group's.
type ChatType string

// The chat types.
const (
	Single ChatType = "SINGLE"
	Group  ChatType = "GROUP"
)

func (c ChatType) valid() bool { return c == Single || c == Group }

// MsgType is one of the 14 message types of the contract (SendMessage's msgType).
type MsgType string

// The message types.
const (
	Text      MsgType = "TEXT"
	Image     MsgType = "IMAGE"
	Audio     MsgType = "AUDIO"
	Video     MsgType = "VIDEO"
	File      MsgType = "FILE"
	Location  MsgType = "LOCATION"
	Custom    MsgType = "CUSTOM"
	Notify    MsgType = "NOTIFY"
	RichText  MsgType = "RICH_TEXT"
	CallAudio MsgType = "CALL_AUDIO"
	CallVideo MsgType = "CALL_VIDEO"
	Forward   MsgType = "FORWARD"
	Quote     MsgType = "QUOTE"
	Merge     MsgType = "MERGE"
)

// MsgTypes lists every message type.
var MsgTypes = []MsgType{Text, Image, Audio, Video, File, Location, Custom, Notify, RichText, CallAudio, CallVideo, Forward, Quote, Merge}

// Message is a stored message. Its JSON is the contract's Message, as frames carry it.
type Message struct {
	ID          int64      `json:"id,string"`
	ClientMsgID *string    `json:"clientMsgId"`
	FromID      string     `json:"fromId"`
	ToID        string     `json:"toId"`
	ChatType    ChatType   `json:"chatType"`
	MsgType     MsgType    `json:"msgType"`
	Content     string     `json:"content"`
	Seq         int64      `json:"seq"`
	CreatedAt   time.Time  `json:"createdAt"`
	EditedAt    *time.Time `json:"editedAt"`
	Revoked     bool       `json:"revoked"`
	// RevokedBy is the user who revoked the message; RevokedByAdmin says an app
	// administrator did.
	RevokedBy      *string `json:"revokedBy,omitempty"`
	RevokedByAdmin bool    `json:"revokedByAdmin,omitempty"`
	// GroupReadCount and GroupSeq (the group event seq of its latest change) are set on
	// group messages only.
	GroupReadCount *int32 `json:"groupReadCount,omitempty"`
	GroupSeq       *int64 `json:"groupSeq,omitempty"`
}

// SendInput is a message to send.
type SendInput struct {
	ToID        string
	ChatType    ChatType
	MsgType     MsgType
	Content     string
	ClientMsgID string // empty: none
}

// Conversation is one user's view of a one-to-one or group conversation.
type Conversation struct {
	TargetID    string    `json:"targetId"`
	ChatType    ChatType  `json:"chatType"`
	LastMessage *Message  `json:"lastMessage"`
	UnreadCount int64     `json:"unreadCount"`
	ReadSeq     int64     `json:"readSeq"`
	Pinned      bool      `json:"pinned"`
	Draft       string    `json:"draft"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Deleted is set in the conversation.updated event of a deletion.
	Deleted bool `json:"deleted,omitempty"`
}

// ReadMark is a user's read mark of a conversation after a change.
type ReadMark struct {
	TargetID    string
	ChatType    ChatType
	ReadSeq     int64
	UnreadCount int64
}

// GroupInfo is a group as its members and searchers see it.
type GroupInfo struct {
	GroupID     string    `json:"groupId"`
	Name        string    `json:"name"`
	AvatarURL   string    `json:"avatarUrl"`
	Notice      string    `json:"notice"`
	OwnerID     string    `json:"ownerId"`
	MemberCount int32     `json:"memberCount"`
	Public      bool      `json:"public"`
	JoinPolicy  string    `json:"joinPolicy"`
	MutedAll    bool      `json:"mutedAll"`
	Joinable    *bool     `json:"joinable,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// GroupCreate is a group to create.
type GroupCreate struct {
	GroupID   string // empty: the server picks one
	Name      string
	MemberIDs []string
	AvatarURL string
	Notice    string
	Public    bool
	// JoinPolicy is JoinFree, JoinApproval or JoinClosed; empty: JoinApproval.
	JoinPolicy string
}

// GroupUpdate holds the fields to change; nil keeps a field.
type GroupUpdate struct {
	Name       *string
	AvatarURL  *string
	Notice     *string
	Public     *bool
	JoinPolicy *string
}

// Member is a member of a group.
type Member struct {
	UserID    string
	Nickname  string
	AvatarURL string
	Role      string
	JoinedAt  time.Time
	// MutedUntil is when his mute ends; nil when he is not muted.
	MutedUntil *time.Time
}

// Group roles.
const (
	RoleOwner  = "OWNER"
	RoleAdmin  = "ADMIN"
	RoleMember = "MEMBER"
)

// HistoryQuery selects a page of a conversation's messages.
type HistoryQuery struct {
	ChatType  ChatType
	TargetID  string
	Page      page.Request
	Keyword   string
	MsgType   MsgType // empty: all
	StartTime string  // empty, a local time read in the server's zone, or RFC 3339
	EndTime   string
	// AfterSeq (groups only) asks for the messages changed after this group event seq,
	// oldest change first, in place of the newest messages.
	AfterSeq *int64
}

// GroupPosition is one of a user's groups for sync: the group event seq he joined at (what
// he is given of the group comes after it), and the group's latest.
type GroupPosition struct {
	GroupID   string
	JoinedSeq int64
	LatestSeq int64
}

// StoredEvent is one event of a user's log or a group's, as sync replays it.
type StoredEvent struct {
	Seq  int64
	Type string
	Data json.RawMessage
}

// Event types: the `type` of the WebSocket frames that carry them.
const (
	EventMessage        = "message"
	EventMessageEdited  = "message.edited"
	EventMessageRevoked = "message.revoked"
	EventRead           = "read"
	EventConversation   = "conversation.updated"
	EventGroup          = "group.event"
)

// messageRevoked is the data of a message.revoked event.
type messageRevoked struct {
	ID        int64     `json:"id,string"`
	ChatType  ChatType  `json:"chatType"`
	FromID    string    `json:"fromId"`
	ToID      string    `json:"toId"`
	RevokedAt time.Time `json:"revokedAt"`
	RevokedBy string    `json:"revokedBy"`
	// RevokedByAdmin: an app administrator revoked it (RevokedBy is empty).
	RevokedByAdmin bool `json:"revokedByAdmin,omitempty"`
}

// readReceipt is the data of a read event.
type readReceipt struct {
	TargetID       string   `json:"targetId"`
	ChatType       ChatType `json:"chatType"`
	UserID         string   `json:"userId"`
	ReadSeq        int64    `json:"readSeq"`
	MessageID      int64    `json:"messageId,string,omitempty"`
	GroupReadCount *int32   `json:"groupReadCount,omitempty"`
}

// groupEvent is the data of a group.event event.
type groupEvent struct {
	GroupID    string   `json:"groupId"`
	Event      string   `json:"event"`
	OperatorID string   `json:"operatorId"`
	UserIDs    []string `json:"userIds"`
	// GroupSeq is the group event seq of the change, on the members' own streams.
	GroupSeq  int64      `json:"groupSeq,omitempty"`
	Group     *GroupInfo `json:"group,omitempty"`
	RequestID string     `json:"requestId,omitempty"`
	// Role is the member's role after a ROLE_CHANGED; MutedUntil the end of a MEMBER_MUTED.
	Role       string     `json:"role,omitempty"`
	MutedUntil *time.Time `json:"mutedUntil,omitempty"`
}
