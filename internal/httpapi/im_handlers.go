package httpapi

import (
	"context"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// The IM core's operations: messages, conversations and groups. Each turns the request
// into a call of internal/im as the token's user, and the result into the contract's type.

func imUser(ctx context.Context) im.User {
	p := principalFrom(ctx)
	u := im.User{UserID: p.UserID}
	if p.App != nil {
		u.AppID = p.App.ID
	}
	return u
}

func imValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func apiMessage(m im.Message) api.Message {
	var byAdmin *bool
	if m.Revoked {
		byAdmin = &m.RevokedByAdmin
	}
	return api.Message{
		RevokedByAdmin: byAdmin,
		Id:             strconv.FormatInt(m.ID, 10), ClientMsgId: m.ClientMsgID, FromId: m.FromID, ToId: m.ToID,
		ChatType: api.ChatType(m.ChatType), MsgType: api.MsgType(m.MsgType), Content: m.Content, Seq: m.Seq,
		CreatedAt: m.CreatedAt, EditedAt: m.EditedAt, Revoked: m.Revoked, RevokedBy: m.RevokedBy, GroupReadCount: m.GroupReadCount, GroupSeq: m.GroupSeq,
	}
}

func parseMessageID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.InvalidField("id", "must be a message id (a string of digits)")
	}
	return id, nil
}

func (s *Server) SendMessage(ctx context.Context, req api.SendMessageRequestObject) (api.SendMessageResponseObject, error) {
	b := req.Body
	m, err := s.im.Send(ctx, imUser(ctx), im.SendInput{ToID: b.ToId, ChatType: im.ChatType(b.ChatType), MsgType: im.MsgType(b.MsgType),
		Content: b.Content, ClientMsgID: imValue(b.ClientMsgId)})
	if err != nil {
		return nil, err
	}
	return success[api.SendMessage200JSONResponse](apiMessage(m)), nil
}

func (s *Server) SearchMessages(ctx context.Context, req api.SearchMessagesRequestObject) (api.SearchMessagesResponseObject, error) {
	p, err := s.im.Search(ctx, imUser(ctx), req.Params.Keyword, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.SearchMessages200JSONResponse](p, apiMessage), nil
}

func (s *Server) EditMessage(ctx context.Context, req api.EditMessageRequestObject) (api.EditMessageResponseObject, error) {
	id, err := parseMessageID(req.Id)
	if err != nil {
		return nil, err
	}
	m, err := s.im.Edit(ctx, imUser(ctx), id, req.Body.Content)
	if err != nil {
		return nil, err
	}
	return success[api.EditMessage200JSONResponse](apiMessage(m)), nil
}

func (s *Server) RevokeMessage(ctx context.Context, req api.RevokeMessageRequestObject) (api.RevokeMessageResponseObject, error) {
	id, err := parseMessageID(req.Id)
	if err != nil {
		return nil, err
	}
	m, err := s.im.Revoke(ctx, imUser(ctx), id)
	if err != nil {
		return nil, err
	}
	return success[api.RevokeMessage200JSONResponse](apiMessage(m)), nil
}

func (s *Server) ListSingleHistory(ctx context.Context, req api.ListSingleHistoryRequestObject) (api.ListSingleHistoryResponseObject, error) {
	q := req.Params
	p, err := s.im.History(ctx, imUser(ctx), im.HistoryQuery{ChatType: im.Single, TargetID: req.ToId, Page: page.New(q.Page, q.Size),
		Keyword: imValue(q.Keyword), MsgType: im.MsgType(imValue(q.MsgType)), StartTime: imValue(q.StartTime), EndTime: imValue(q.EndTime)})
	if err != nil {
		return nil, err
	}
	return successPage[api.ListSingleHistory200JSONResponse](p, apiMessage), nil
}

func (s *Server) ListGroupHistory(ctx context.Context, req api.ListGroupHistoryRequestObject) (api.ListGroupHistoryResponseObject, error) {
	q := req.Params
	p, err := s.im.History(ctx, imUser(ctx), im.HistoryQuery{ChatType: im.Group, TargetID: req.GroupId, Page: page.New(q.Page, q.Size),
		Keyword: imValue(q.Keyword), MsgType: im.MsgType(imValue(q.MsgType)), StartTime: imValue(q.StartTime), EndTime: imValue(q.EndTime),
		AfterSeq: q.AfterSeq})
	if err != nil {
		return nil, err
	}
	return successPage[api.ListGroupHistory200JSONResponse](p, apiMessage), nil
}

func apiConversation(c im.Conversation) api.Conversation {
	out := api.Conversation{TargetId: c.TargetID, ChatType: api.ChatType(c.ChatType), UnreadCount: c.UnreadCount, ReadSeq: c.ReadSeq,
		Pinned: c.Pinned, Draft: c.Draft, UpdatedAt: c.UpdatedAt}
	if c.LastMessage != nil {
		m := apiMessage(*c.LastMessage)
		out.LastMessage = &m
	}
	return out
}

func (s *Server) ListConversations(ctx context.Context, req api.ListConversationsRequestObject) (api.ListConversationsResponseObject, error) {
	p, err := s.im.Conversations(ctx, imUser(ctx), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListConversations200JSONResponse](p, apiConversation), nil
}

func (s *Server) SetConversationPinned(ctx context.Context, req api.SetConversationPinnedRequestObject) (api.SetConversationPinnedResponseObject, error) {
	c, err := s.im.SetPinned(ctx, imUser(ctx), im.ChatType(req.Params.ChatType), req.TargetId, req.Params.Pinned)
	if err != nil {
		return nil, err
	}
	return success[api.SetConversationPinned200JSONResponse](apiConversation(c)), nil
}

func (s *Server) SetConversationDraft(ctx context.Context, req api.SetConversationDraftRequestObject) (api.SetConversationDraftResponseObject, error) {
	c, err := s.im.SetDraft(ctx, imUser(ctx), im.ChatType(req.Params.ChatType), req.TargetId, imValue(req.Params.Draft))
	if err != nil {
		return nil, err
	}
	return success[api.SetConversationDraft200JSONResponse](apiConversation(c)), nil
}

func (s *Server) DeleteConversation(ctx context.Context, req api.DeleteConversationRequestObject) (api.DeleteConversationResponseObject, error) {
	if err := s.im.DeleteConversation(ctx, imUser(ctx), im.ChatType(req.Params.ChatType), req.TargetId); err != nil {
		return nil, err
	}
	return successEmpty[api.DeleteConversation200JSONResponse](), nil
}

func (s *Server) MarkConversationRead(ctx context.Context, req api.MarkConversationReadRequestObject) (api.MarkConversationReadResponseObject, error) {
	var seq *int64
	if req.Body != nil {
		seq = req.Body.Seq
	}
	r, err := s.im.MarkRead(ctx, imUser(ctx), im.ChatType(req.Params.ChatType), req.TargetId, seq)
	if err != nil {
		return nil, err
	}
	return success[api.MarkConversationRead200JSONResponse](api.ConversationRead{
		TargetId: r.TargetID, ChatType: api.ChatType(r.ChatType), ReadSeq: r.ReadSeq, UnreadCount: r.UnreadCount}), nil
}

func apiGroup(g im.GroupInfo) api.Group {
	return api.Group{GroupId: g.GroupID, Name: g.Name, AvatarUrl: g.AvatarURL, Notice: g.Notice, OwnerId: g.OwnerID,
		MemberCount: g.MemberCount, Public: g.Public, JoinPolicy: api.GroupJoinPolicy(g.JoinPolicy), MutedAll: g.MutedAll,
		Joinable: g.Joinable, CreatedAt: g.CreatedAt}
}

func (s *Server) ListMyGroups(ctx context.Context, req api.ListMyGroupsRequestObject) (api.ListMyGroupsResponseObject, error) {
	p, err := s.im.MyGroups(ctx, imUser(ctx), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListMyGroups200JSONResponse](p, apiGroup), nil
}

func (s *Server) CreateGroup(ctx context.Context, req api.CreateGroupRequestObject) (api.CreateGroupResponseObject, error) {
	b := req.Body
	g, err := s.im.CreateGroup(ctx, imUser(ctx), im.GroupCreate{GroupID: imValue(b.GroupId), Name: b.Name, MemberIDs: b.MemberIds,
		AvatarURL: imValue(b.AvatarUrl), Notice: imValue(b.Notice), Public: imValue(b.Public), JoinPolicy: string(imValue(b.JoinPolicy))})
	if err != nil {
		return nil, err
	}
	return success[api.CreateGroup200JSONResponse](apiGroup(g)), nil
}

func (s *Server) GetGroup(ctx context.Context, req api.GetGroupRequestObject) (api.GetGroupResponseObject, error) {
	g, err := s.im.Group(ctx, imUser(ctx), req.GroupId)
	if err != nil {
		return nil, err
	}
	return success[api.GetGroup200JSONResponse](apiGroup(g)), nil
}

func (s *Server) UpdateGroup(ctx context.Context, req api.UpdateGroupRequestObject) (api.UpdateGroupResponseObject, error) {
	b := req.Body
	var policy *string
	if b.JoinPolicy != nil {
		p := string(*b.JoinPolicy)
		policy = &p
	}
	g, err := s.im.UpdateGroup(ctx, imUser(ctx), req.GroupId, im.GroupUpdate{Name: b.Name, AvatarURL: b.AvatarUrl, Notice: b.Notice, Public: b.Public, JoinPolicy: policy})
	if err != nil {
		return nil, err
	}
	return success[api.UpdateGroup200JSONResponse](apiGroup(g)), nil
}

func (s *Server) DissolveGroup(ctx context.Context, req api.DissolveGroupRequestObject) (api.DissolveGroupResponseObject, error) {
	if err := s.im.DissolveGroup(ctx, imUser(ctx), req.GroupId); err != nil {
		return nil, err
	}
	return successEmpty[api.DissolveGroup200JSONResponse](), nil
}

func (s *Server) ListGroupMembers(ctx context.Context, req api.ListGroupMembersRequestObject) (api.ListGroupMembersResponseObject, error) {
	p, err := s.im.Members(ctx, imUser(ctx), req.GroupId, "", page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListGroupMembers200JSONResponse](p, apiGroupMember), nil
}

func (s *Server) SearchGroupMembers(ctx context.Context, req api.SearchGroupMembersRequestObject) (api.SearchGroupMembersResponseObject, error) {
	p, err := s.im.Members(ctx, imUser(ctx), req.GroupId, req.Params.Keyword, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.SearchGroupMembers200JSONResponse](p, apiGroupMember), nil
}

func (s *Server) AddGroupMembers(ctx context.Context, req api.AddGroupMembersRequestObject) (api.AddGroupMembersResponseObject, error) {
	g, err := s.im.AddMembers(ctx, imUser(ctx), req.GroupId, req.Body.MemberIds)
	if err != nil {
		return nil, err
	}
	return success[api.AddGroupMembers200JSONResponse](apiGroup(g)), nil
}

func (s *Server) RemoveGroupMember(ctx context.Context, req api.RemoveGroupMemberRequestObject) (api.RemoveGroupMemberResponseObject, error) {
	if err := s.im.RemoveMember(ctx, imUser(ctx), req.GroupId, req.UserId); err != nil {
		return nil, err
	}
	return successEmpty[api.RemoveGroupMember200JSONResponse](), nil
}

func (s *Server) ListPublicGroups(ctx context.Context, req api.ListPublicGroupsRequestObject) (api.ListPublicGroupsResponseObject, error) {
	p, err := s.im.PublicGroups(ctx, imUser(ctx), imValue(req.Params.Keyword), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListPublicGroups200JSONResponse](p, apiGroup), nil
}

func (s *Server) SearchGroups(ctx context.Context, req api.SearchGroupsRequestObject) (api.SearchGroupsResponseObject, error) {
	p, err := s.im.SearchGroups(ctx, imUser(ctx), req.Params.Keyword, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.SearchGroups200JSONResponse](p, apiGroup), nil
}
