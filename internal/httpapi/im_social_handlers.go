package httpapi

import (
	"context"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// Friends and the blacklist: each handler calls internal/im as the token's user.

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func apiFriendRequest(r im.FriendRequest) api.FriendRequest {
	return api.FriendRequest{RequestId: itoa64(r.ID), FromUserId: r.FromUserID, ToUserId: r.ToUserID, Remark: r.Remark,
		Status: api.SocialRequestStatus(r.Status), CreatedAt: r.CreatedAt, HandledAt: r.HandledAt}
}

func (s *Server) SendFriendRequest(ctx context.Context, req api.SendFriendRequestRequestObject) (api.SendFriendRequestResponseObject, error) {
	r, err := s.im.SendFriendRequest(ctx, imUser(ctx), req.Params.ToUserId, imValue(req.Params.Remark))
	if err != nil {
		return nil, err
	}
	return success[api.SendFriendRequest200JSONResponse](apiFriendRequest(r)), nil
}

func (s *Server) ListFriendRequests(ctx context.Context, req api.ListFriendRequestsRequestObject) (api.ListFriendRequestsResponseObject, error) {
	q := req.Params
	outgoing := q.Direction != nil && *q.Direction == api.Outgoing
	p, err := s.im.FriendRequests(ctx, imUser(ctx), outgoing, string(imValue(q.Status)), page.New(q.Page, q.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListFriendRequests200JSONResponse](p, apiFriendRequest), nil
}

func (s *Server) AcceptFriendRequest(ctx context.Context, req api.AcceptFriendRequestRequestObject) (api.AcceptFriendRequestResponseObject, error) {
	id, err := im.ParseRequestID(req.RequestId)
	if err != nil {
		return nil, err
	}
	r, err := s.im.AnswerFriendRequest(ctx, imUser(ctx), id, true)
	if err != nil {
		return nil, err
	}
	return success[api.AcceptFriendRequest200JSONResponse](apiFriendRequest(r)), nil
}

func (s *Server) RejectFriendRequest(ctx context.Context, req api.RejectFriendRequestRequestObject) (api.RejectFriendRequestResponseObject, error) {
	id, err := im.ParseRequestID(req.RequestId)
	if err != nil {
		return nil, err
	}
	r, err := s.im.AnswerFriendRequest(ctx, imUser(ctx), id, false)
	if err != nil {
		return nil, err
	}
	return success[api.RejectFriendRequest200JSONResponse](apiFriendRequest(r)), nil
}

func (s *Server) ListFriends(ctx context.Context, req api.ListFriendsRequestObject) (api.ListFriendsResponseObject, error) {
	p, err := s.im.Friends(ctx, imUser(ctx), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListFriends200JSONResponse](p, apiFriend), nil
}

func apiFriend(f im.Friend) api.Friend {
	return api.Friend{UserId: f.UserID, Nickname: f.Nickname, AvatarUrl: f.AvatarURL, Remark: &f.Remark, CreatedAt: f.CreatedAt}
}

func (s *Server) DeleteFriend(ctx context.Context, req api.DeleteFriendRequestObject) (api.DeleteFriendResponseObject, error) {
	if err := s.im.DeleteFriend(ctx, imUser(ctx), req.UserId); err != nil {
		return nil, err
	}
	return successEmpty[api.DeleteFriend200JSONResponse](), nil
}

func apiBlockedUser(b im.BlockedUser) api.BlockedUser {
	return api.BlockedUser{UserId: b.UserID, Nickname: b.Nickname, AvatarUrl: b.AvatarURL, CreatedAt: b.CreatedAt}
}

func (s *Server) BlockUser(ctx context.Context, req api.BlockUserRequestObject) (api.BlockUserResponseObject, error) {
	b, err := s.im.Block(ctx, imUser(ctx), req.Params.BlockedUserId)
	if err != nil {
		return nil, err
	}
	return success[api.BlockUser200JSONResponse](apiBlockedUser(b)), nil
}

func (s *Server) UnblockUser(ctx context.Context, req api.UnblockUserRequestObject) (api.UnblockUserResponseObject, error) {
	if err := s.im.Unblock(ctx, imUser(ctx), req.Params.BlockedUserId); err != nil {
		return nil, err
	}
	return successEmpty[api.UnblockUser200JSONResponse](), nil
}

func (s *Server) ListBlockedUsers(ctx context.Context, req api.ListBlockedUsersRequestObject) (api.ListBlockedUsersResponseObject, error) {
	p, err := s.im.Blacklist(ctx, imUser(ctx), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListBlockedUsers200JSONResponse](p, apiBlockedUser), nil
}

func apiGroupJoinRequest(r im.JoinRequest) api.GroupJoinRequest {
	return api.GroupJoinRequest{RequestId: itoa64(r.ID), GroupId: r.GroupID, UserId: r.UserID, Remark: r.Remark,
		Status: api.SocialRequestStatus(r.Status), CreatedAt: r.CreatedAt, HandledBy: r.HandledBy, HandledAt: r.HandledAt}
}

func (s *Server) CreateGroupJoinRequest(ctx context.Context, req api.CreateGroupJoinRequestRequestObject) (api.CreateGroupJoinRequestResponseObject, error) {
	r, err := s.im.RequestToJoin(ctx, imUser(ctx), req.GroupId, imValue(req.Params.Remark))
	if err != nil {
		return nil, err
	}
	return success[api.CreateGroupJoinRequest200JSONResponse](apiGroupJoinRequest(r)), nil
}

func (s *Server) ListGroupJoinRequests(ctx context.Context, req api.ListGroupJoinRequestsRequestObject) (api.ListGroupJoinRequestsResponseObject, error) {
	p, err := s.im.JoinRequests(ctx, imUser(ctx), req.GroupId, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListGroupJoinRequests200JSONResponse](p, apiGroupJoinRequest), nil
}

func (s *Server) AcceptGroupJoinRequest(ctx context.Context, req api.AcceptGroupJoinRequestRequestObject) (api.AcceptGroupJoinRequestResponseObject, error) {
	id, err := im.ParseRequestID(req.RequestId)
	if err != nil {
		return nil, err
	}
	r, err := s.im.AnswerJoinRequest(ctx, imUser(ctx), req.GroupId, id, true)
	if err != nil {
		return nil, err
	}
	return success[api.AcceptGroupJoinRequest200JSONResponse](apiGroupJoinRequest(r)), nil
}

func (s *Server) RejectGroupJoinRequest(ctx context.Context, req api.RejectGroupJoinRequestRequestObject) (api.RejectGroupJoinRequestResponseObject, error) {
	id, err := im.ParseRequestID(req.RequestId)
	if err != nil {
		return nil, err
	}
	r, err := s.im.AnswerJoinRequest(ctx, imUser(ctx), req.GroupId, id, false)
	if err != nil {
		return nil, err
	}
	return success[api.RejectGroupJoinRequest200JSONResponse](apiGroupJoinRequest(r)), nil
}
