package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/im"
)

// Group administration: ownership, admins and mutes.

func apiGroupMember(m im.Member) api.GroupMember {
	return api.GroupMember{UserId: m.UserID, Nickname: m.Nickname, AvatarUrl: m.AvatarURL, Role: api.GroupRole(m.Role),
		JoinedAt: m.JoinedAt, MutedUntil: m.MutedUntil}
}

func (s *Server) TransferGroupOwner(ctx context.Context, req api.TransferGroupOwnerRequestObject) (api.TransferGroupOwnerResponseObject, error) {
	g, err := s.im.TransferOwner(ctx, imUser(ctx), req.GroupId, req.Body.UserId)
	if err != nil {
		return nil, err
	}
	return success[api.TransferGroupOwner200JSONResponse](apiGroup(g)), nil
}

func (s *Server) SetGroupMemberRole(ctx context.Context, req api.SetGroupMemberRoleRequestObject) (api.SetGroupMemberRoleResponseObject, error) {
	m, err := s.im.SetMemberRole(ctx, imUser(ctx), req.GroupId, req.UserId, string(req.Body.Role))
	if err != nil {
		return nil, err
	}
	return success[api.SetGroupMemberRole200JSONResponse](apiGroupMember(m)), nil
}

func (s *Server) MuteGroupMember(ctx context.Context, req api.MuteGroupMemberRequestObject) (api.MuteGroupMemberResponseObject, error) {
	m, err := s.im.MuteMember(ctx, imUser(ctx), req.GroupId, req.UserId, &req.Body.MutedUntil)
	if err != nil {
		return nil, err
	}
	return success[api.MuteGroupMember200JSONResponse](apiGroupMember(m)), nil
}

func (s *Server) UnmuteGroupMember(ctx context.Context, req api.UnmuteGroupMemberRequestObject) (api.UnmuteGroupMemberResponseObject, error) {
	m, err := s.im.MuteMember(ctx, imUser(ctx), req.GroupId, req.UserId, nil)
	if err != nil {
		return nil, err
	}
	return success[api.UnmuteGroupMember200JSONResponse](apiGroupMember(m)), nil
}

func (s *Server) MuteGroup(ctx context.Context, req api.MuteGroupRequestObject) (api.MuteGroupResponseObject, error) {
	g, err := s.im.MuteGroup(ctx, imUser(ctx), req.GroupId, true)
	if err != nil {
		return nil, err
	}
	return success[api.MuteGroup200JSONResponse](apiGroup(g)), nil
}

func (s *Server) UnmuteGroup(ctx context.Context, req api.UnmuteGroupRequestObject) (api.UnmuteGroupResponseObject, error) {
	g, err := s.im.MuteGroup(ctx, imUser(ctx), req.GroupId, false)
	if err != nil {
		return nil, err
	}
	return success[api.UnmuteGroup200JSONResponse](apiGroup(g)), nil
}
