package im

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// MaxContentChars is the longest content a message has (SendMessage.content in the contract):
// what a client may send, and what the server stores, FORWARD copies included.
const MaxContentChars = 16384

// kind is the JSON type a content field must have.
type kind int

const (
	kString kind = iota
	kInteger
	kNumber
	kMessageID
	kMessageIDs
)

// field is one property of a content schema (openapi.yaml, TextContent … MergeContent).
type field struct {
	name     string
	kind     kind
	required bool
	minLen   int     // strings, arrays
	maxLen   int     // strings, arrays; 0: no limit
	min, max float64 // numbers and integers; both 0: no limit
	hasRange bool
}

func str(name string, required bool, minLen, maxLen int) field {
	return field{name: name, kind: kString, required: required, minLen: minLen, maxLen: maxLen}
}

func num(name string, k kind, required bool, min, max float64) field {
	return field{name: name, kind: k, required: required, min: min, max: max, hasRange: true}
}

var (
	url         = str("url", true, 1, 2048)
	thumbURL    = str("thumbnailUrl", false, 0, 2048)
	size        = num("size", kInteger, false, 0, math.MaxInt64)
	width       = num("width", kInteger, false, 0, math.MaxInt32)
	height      = num("height", kInteger, false, 0, math.MaxInt32)
	duration    = num("duration", kNumber, true, 0, math.MaxFloat64)
	optDuration = num("duration", kNumber, false, 0, math.MaxFloat64)
	callFields  = []field{str("callId", true, 1, 128), str("status", true, 1, 32), optDuration}
)

// contentSchemas are the object-valued types' schemas; nil fields: any JSON object.
var contentSchemas = map[MsgType][]field{
	Image:     {url, width, height, thumbURL, size},
	Audio:     {url, duration, size},
	Video:     {url, duration, thumbURL, width, height, size},
	File:      {url, str("name", true, 1, 255), num("size", kInteger, true, 0, math.MaxInt64), str("contentType", false, 0, 255)},
	Location:  {num("latitude", kNumber, true, -90, 90), num("longitude", kNumber, true, -180, 180), str("address", false, 0, 512), str("name", false, 0, 255)},
	Custom:    nil,
	Notify:    {str("text", true, 1, 0)},
	RichText:  nil,
	CallAudio: callFields,
	CallVideo: callFields,
	Forward:   {{name: "messageId", kind: kMessageID, required: true}},
	Quote:     {{name: "quotedMsgId", kind: kMessageID, required: true}, str("text", true, 1, 0)},
	Merge:     {str("title", true, 1, 255), {name: "messageIds", kind: kMessageIDs, required: true, minLen: 1, maxLen: 100}},
}

var messageIDPattern = regexp.MustCompile(`^[0-9]{1,20}$`)

// checkContent checks content against its type's schema and returns the decoded object
// (nil for TEXT).
func checkContent(t MsgType, content string) (map[string]json.RawMessage, error) {
	if content == "" {
		return nil, fault.InvalidField("content", "must not be empty")
	}
	if strings.ContainsRune(content, 0) {
		return nil, fault.InvalidField("content", "must not contain the NUL character")
	}
	if n := utf8.RuneCountInString(content); n > MaxContentChars {
		return nil, fault.InvalidField("content", "is %d characters long; at most %d are allowed", n, MaxContentChars)
	}
	if t == Text {
		return nil, nil
	}
	fields, ok := contentSchemas[t]
	if !ok {
		return nil, fault.InvalidField("msgType", "must be one of %s", joinTypes())
	}
	var obj map[string]json.RawMessage
	trimmed := bytes.TrimSpace([]byte(content))
	if len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &obj) != nil {
		return nil, fault.InvalidField("content", "must be a JSON object encoded as a string for %s messages", t)
	}
	for _, f := range fields {
		raw, present := obj[f.name]
		if !present || string(raw) == "null" {
			if f.required {
				return nil, fault.InvalidField("content."+f.name, "is required for %s messages", t)
			}
			continue
		}
		if err := f.check(raw); err != nil {
			return nil, fault.InvalidField("content."+f.name, "%s", err.Error())
		}
	}
	return obj, nil
}

type reason string

func (r reason) Error() string { return string(r) }

func (f field) check(raw json.RawMessage) error {
	switch f.kind {
	case kString:
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return reason("must be a string")
		}
		n := utf8.RuneCountInString(s)
		if n < f.minLen || (f.maxLen > 0 && n > f.maxLen) {
			if f.maxLen > 0 {
				return reason("must be " + strconv.Itoa(f.minLen) + " to " + strconv.Itoa(f.maxLen) + " characters long")
			}
			return reason("must not be empty")
		}
	case kInteger, kNumber:
		var v float64
		if json.Unmarshal(raw, &v) != nil {
			return reason("must be a number")
		}
		if f.kind == kInteger && v != math.Trunc(v) {
			return reason("must be an integer")
		}
		if f.hasRange && (v < f.min || v > f.max) {
			if f.max >= math.MaxInt32 {
				return reason("must be at least " + strconv.FormatFloat(f.min, 'f', -1, 64))
			}
			return reason("must be between " + strconv.FormatFloat(f.min, 'f', -1, 64) + " and " + strconv.FormatFloat(f.max, 'f', -1, 64))
		}
	case kMessageID:
		var s string
		if json.Unmarshal(raw, &s) != nil || !messageIDPattern.MatchString(s) {
			return reason("must be a message id (a string of digits)")
		}
	case kMessageIDs:
		var ids []string
		if json.Unmarshal(raw, &ids) != nil {
			return reason("must be an array of message ids")
		}
		if len(ids) < f.minLen || len(ids) > f.maxLen {
			return reason("must hold " + strconv.Itoa(f.minLen) + " to " + strconv.Itoa(f.maxLen) + " message ids")
		}
		for _, id := range ids {
			if !messageIDPattern.MatchString(id) {
				return reason("must hold message ids (strings of digits)")
			}
		}
	}
	return nil
}

func joinTypes() string {
	names := make([]string, len(MsgTypes))
	for i, t := range MsgTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// stringField is a string property of decoded content, "" when absent or not a string.
func stringField(obj map[string]json.RawMessage, name string) string {
	var s string
	_ = json.Unmarshal(obj[name], &s)
	return s
}

// searchText is what search finds in a message of type t.
func searchText(t MsgType, content string, obj map[string]json.RawMessage) string {
	var text string
	switch t {
	case Text:
		return content
	case Quote, Notify:
		text = stringField(obj, "text")
	case File:
		text = stringField(obj, "name")
	case Location:
		text = strings.TrimSpace(stringField(obj, "name") + " " + stringField(obj, "address"))
	case Merge:
		text = stringField(obj, "title")
	}
	// A JSON string may hold \u0000, which PostgreSQL's text cannot.
	return strings.ReplaceAll(text, "\x00", "")
}

// parseMessageID reads a message id of the contract (a string of digits).
func parseMessageID(s string) (int64, bool) {
	if !messageIDPattern.MatchString(s) {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// forwardedCopy is the copy of the forwarded message a FORWARD carries in content.original.
type forwardedCopy struct {
	ID        int64     `json:"id,string"`
	FromID    string    `json:"fromId"`
	ToID      string    `json:"toId"`
	ChatType  ChatType  `json:"chatType"`
	MsgType   MsgType   `json:"msgType"`
	Content   string    `json:"content"`
	CreatedAt time.Time `json:"createdAt"`
	// Truncated: Content is the start of the original's, cut to fit the content limit.
	Truncated bool `json:"truncated"`
}

// forwardContent is what a FORWARD of orig stores: the client's fields, the reference and a
// bounded copy of orig. The copy's content is orig's own; for a forward, its reference without
// its nested copy, so that a chain of forwards does not nest. It is cut (truncated) so that
// the whole stays within MaxContentChars: the server never stores more than a client may send.
func forwardContent(obj map[string]json.RawMessage, orig Message) (string, error) {
	own := orig.Content
	if orig.MsgType == Forward {
		var inner map[string]json.RawMessage
		if json.Unmarshal([]byte(orig.Content), &inner) == nil {
			delete(inner, "original")
			if b, err := json.Marshal(inner); err == nil {
				own = string(b)
			}
		}
	}
	c := forwardedCopy{ID: orig.ID, FromID: orig.FromID, ToID: orig.ToID, ChatType: orig.ChatType, MsgType: orig.MsgType, CreatedAt: orig.CreatedAt}
	obj["messageId"] = json.RawMessage(strconv.Quote(strconv.FormatInt(orig.ID, 10)))
	encode := func(content string, truncated bool) (string, int, error) {
		c.Content, c.Truncated = content, truncated
		copyJSON, err := marshalPlain(c)
		if err != nil {
			return "", 0, err
		}
		obj["original"] = copyJSON
		b, err := marshalPlain(obj)
		if err != nil {
			return "", 0, err
		}
		return string(b), utf8.RuneCount(b), nil
	}
	whole, n, err := encode(own, false)
	if err != nil || n <= MaxContentChars {
		return whole, err
	}
	// The longest start of the content that fits: escaping makes the encoded length grow with
	// the prefix but not in proportion, so search for it.
	runes := []rune(own)
	if _, n, err := encode("", true); err != nil || n > MaxContentChars {
		return "", fault.InvalidField("content", "leaves no room for the copy of the forwarded message; send only messageId")
	}
	lo, hi := 0, len(runes) // encode(runes[:lo]) fits, encode(runes[:hi]) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if _, n, err := encode(string(runes[:mid]), true); err != nil {
			return "", err
		} else if n <= MaxContentChars {
			lo = mid
		} else {
			hi = mid
		}
	}
	s, _, err := encode(string(runes[:lo]), true)
	return s, err
}

// marshalPlain is json.Marshal without HTML escaping, which would make stored content grow
// for nothing (<, > and & as six characters each).
func marshalPlain(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
