package im

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// localLayouts are the zone-less forms of a time filter, read in the server's zone.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"}

// ParseTimeFilter reads a startTime or endTime: RFC 3339, or a local time in loc.
func ParseTimeFilter(field, v string, loc *time.Location) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return &t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return &t, nil
		}
	}
	return nil, fault.InvalidField(field, "must be a time such as 2026-04-27T00:00:00 (server zone) or an RFC 3339 time")
}

// History is a page of a conversation's messages, newest first. A one-to-one
// conversation with nobody yet is empty; a group needs the caller as a member.
func (s *Service) History(ctx context.Context, u User, hq HistoryQuery) (page.Page[Message], error) {
	out := page.Of[Message](hq.Page, nil, 0)
	start, err := ParseTimeFilter("startTime", hq.StartTime, s.opts.Location)
	if err != nil {
		return out, err
	}
	end, err := ParseTimeFilter("endTime", hq.EndTime, s.opts.Location)
	if err != nil {
		return out, err
	}
	if hq.MsgType != "" && !validMsgType(hq.MsgType) {
		return out, fault.InvalidField("msgType", "must be one of %s", joinTypes())
	}
	if hq.AfterSeq != nil && (hq.ChatType != Group || *hq.AfterSeq < 0) {
		return out, fault.InvalidField("afterSeq", "is a group event seq of at least 0, for groups only")
	}
	key := hq.TargetID
	if hq.ChatType == Single {
		key = pairKey(u.UserID, hq.TargetID)
	} else if err := s.checkMember(ctx, u, hq.TargetID); err != nil {
		return out, err
	}
	chat, err := s.q.GetChat(ctx, db.GetChatParams{AppID: u.AppID, ChatType: string(hq.ChatType), ChatKey: key})
	if noRows(err) {
		return out, nil
	}
	if err != nil {
		return out, fault.Wrap(err, "load chat")
	}
	filter := db.CountChatMessagesParams{ChatID: chat.ID, StartTime: start, EndTime: end}
	if hq.MsgType != "" {
		t := string(hq.MsgType)
		filter.MsgType = &t
	}
	if hq.Keyword != "" {
		k := strings.ToLower(hq.Keyword)
		filter.Keyword = &k
	}
	if hq.AfterSeq != nil {
		return s.groupChanges(ctx, chat.ID, *hq.AfterSeq, filter, hq.Page)
	}
	if out.Total, err = s.q.CountChatMessages(ctx, filter); err != nil {
		return out, fault.Wrap(err, "count messages")
	}
	rows, err := s.q.ListChatMessages(ctx, db.ListChatMessagesParams{
		ChatID: chat.ID, MsgType: filter.MsgType, StartTime: start, EndTime: end, Keyword: filter.Keyword,
		SkipRows: hq.Page.Offset(), MaxRows: hq.Page.Limit(),
	})
	if err != nil {
		return out, fault.Wrap(err, "load messages")
	}
	for _, r := range rows {
		out.Items = append(out.Items, listedMessage(r))
	}
	return withinBudget(out), nil
}

// groupChanges is the gap fill of a group's history: the messages changed after a group
// event seq, oldest change first.
func (s *Service) groupChanges(ctx context.Context, chatID, after int64, f db.CountChatMessagesParams, p page.Request) (page.Page[Message], error) {
	out := page.Of[Message](p, nil, 0)
	var err error
	if out.Total, err = s.q.CountGroupMessagesChanged(ctx, db.CountGroupMessagesChangedParams{ChatID: chatID, AfterSeq: after,
		MsgType: f.MsgType, StartTime: f.StartTime, EndTime: f.EndTime, Keyword: f.Keyword}); err != nil {
		return out, fault.Wrap(err, "count messages")
	}
	rows, err := s.q.ListGroupMessagesChanged(ctx, db.ListGroupMessagesChangedParams{ChatID: chatID, AfterSeq: after,
		MsgType: f.MsgType, StartTime: f.StartTime, EndTime: f.EndTime, Keyword: f.Keyword, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "load messages")
	}
	for _, r := range rows {
		out.Items = append(out.Items, listedMessage(db.ListChatMessagesRow(r)))
	}
	return withinBudget(out), nil
}

func validMsgType(t MsgType) bool {
	for _, x := range MsgTypes {
		if x == t {
			return true
		}
	}
	return false
}

// listedMessage is a row of a history or search page.
func listedMessage(r db.ListChatMessagesRow) Message {
	m := Message{
		ID: r.ID, ClientMsgID: r.ClientMsgID, FromID: r.FromID, ToID: r.ToID, ChatType: ChatType(r.ChatType),
		MsgType: MsgType(r.MsgType), Content: r.Content, Seq: r.Seq, CreatedAt: r.CreatedAt, EditedAt: r.EditedAt,
		Revoked: r.RevokedAt != nil, GroupSeq: r.GroupSeq,
	}
	m.setRevoker(r.RevokedBy)
	if m.ChatType == Group {
		n := r.GroupReadCount
		m.GroupReadCount = &n
	}
	return m
}

// Search finds the messages the caller can see whose text contains keyword, newest first;
// revoked messages have no text left to find.
func (s *Service) Search(ctx context.Context, u User, keyword string, p page.Request) (page.Page[Message], error) {
	out := page.Of[Message](p, nil, 0)
	keyword = strings.ToLower(strings.TrimSpace(keyword))
	if keyword == "" || utf8.RuneCountInString(keyword) > 100 {
		return out, fault.InvalidField("keyword", "must be 1 to 100 characters long")
	}
	grams := keywordGrams(keyword)
	var err error
	if out.Total, err = s.q.CountSearchMessages(ctx, db.CountSearchMessagesParams{AppID: u.AppID, UserID: u.UserID, Grams: grams, Keyword: keyword}); err != nil {
		return out, fault.Wrap(err, "count messages")
	}
	rows, err := s.q.SearchMessages(ctx, db.SearchMessagesParams{AppID: u.AppID, UserID: u.UserID, Grams: grams, Keyword: keyword, SkipRows: p.Offset(), MaxRows: p.Limit()})
	if err != nil {
		return out, fault.Wrap(err, "search messages")
	}
	for _, r := range rows {
		out.Items = append(out.Items, listedMessage(db.ListChatMessagesRow(r)))
	}
	return withinBudget(out), nil
}
