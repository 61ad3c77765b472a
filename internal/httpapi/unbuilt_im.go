// Code written by scripts/unbuilt-stubs.py: the im routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) AcceptFriendRequest(context.Context, api.AcceptFriendRequestRequestObject) (api.AcceptFriendRequestResponseObject, error) {
	return nil, fault.NotBuilt("acceptFriendRequest")
}

func (s *Server) AcceptGroupJoinRequest(context.Context, api.AcceptGroupJoinRequestRequestObject) (api.AcceptGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("acceptGroupJoinRequest")
}

func (s *Server) AdminDissolveGroup(context.Context, api.AdminDissolveGroupRequestObject) (api.AdminDissolveGroupResponseObject, error) {
	return nil, fault.NotBuilt("adminDissolveGroup")
}

func (s *Server) AdminListGroups(context.Context, api.AdminListGroupsRequestObject) (api.AdminListGroupsResponseObject, error) {
	return nil, fault.NotBuilt("adminListGroups")
}

func (s *Server) AdminListImUsers(context.Context, api.AdminListImUsersRequestObject) (api.AdminListImUsersResponseObject, error) {
	return nil, fault.NotBuilt("adminListImUsers")
}

func (s *Server) AdminListMessages(context.Context, api.AdminListMessagesRequestObject) (api.AdminListMessagesResponseObject, error) {
	return nil, fault.NotBuilt("adminListMessages")
}

func (s *Server) AdminListOperationLogs(context.Context, api.AdminListOperationLogsRequestObject) (api.AdminListOperationLogsResponseObject, error) {
	return nil, fault.NotBuilt("adminListOperationLogs")
}

func (s *Server) AdminRevokeMessage(context.Context, api.AdminRevokeMessageRequestObject) (api.AdminRevokeMessageResponseObject, error) {
	return nil, fault.NotBuilt("adminRevokeMessage")
}

func (s *Server) BlockUser(context.Context, api.BlockUserRequestObject) (api.BlockUserResponseObject, error) {
	return nil, fault.NotBuilt("blockUser")
}

func (s *Server) CreateGroupJoinRequest(context.Context, api.CreateGroupJoinRequestRequestObject) (api.CreateGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("createGroupJoinRequest")
}

func (s *Server) CreateWebhook(context.Context, api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	return nil, fault.NotBuilt("createWebhook")
}

func (s *Server) DeleteFriend(context.Context, api.DeleteFriendRequestObject) (api.DeleteFriendResponseObject, error) {
	return nil, fault.NotBuilt("deleteFriend")
}

func (s *Server) DeleteWebhook(context.Context, api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	return nil, fault.NotBuilt("deleteWebhook")
}

func (s *Server) ListBlockedUsers(context.Context, api.ListBlockedUsersRequestObject) (api.ListBlockedUsersResponseObject, error) {
	return nil, fault.NotBuilt("listBlockedUsers")
}

func (s *Server) ListFriendRequests(context.Context, api.ListFriendRequestsRequestObject) (api.ListFriendRequestsResponseObject, error) {
	return nil, fault.NotBuilt("listFriendRequests")
}

func (s *Server) ListFriends(context.Context, api.ListFriendsRequestObject) (api.ListFriendsResponseObject, error) {
	return nil, fault.NotBuilt("listFriends")
}

func (s *Server) ListGroupJoinRequests(context.Context, api.ListGroupJoinRequestsRequestObject) (api.ListGroupJoinRequestsResponseObject, error) {
	return nil, fault.NotBuilt("listGroupJoinRequests")
}

func (s *Server) ListWebhooks(context.Context, api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	return nil, fault.NotBuilt("listWebhooks")
}

func (s *Server) RejectFriendRequest(context.Context, api.RejectFriendRequestRequestObject) (api.RejectFriendRequestResponseObject, error) {
	return nil, fault.NotBuilt("rejectFriendRequest")
}

func (s *Server) RejectGroupJoinRequest(context.Context, api.RejectGroupJoinRequestRequestObject) (api.RejectGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("rejectGroupJoinRequest")
}

func (s *Server) SendFriendRequest(context.Context, api.SendFriendRequestRequestObject) (api.SendFriendRequestResponseObject, error) {
	return nil, fault.NotBuilt("sendFriendRequest")
}

func (s *Server) UnblockUser(context.Context, api.UnblockUserRequestObject) (api.UnblockUserResponseObject, error) {
	return nil, fault.NotBuilt("unblockUser")
}

func (s *Server) UpdateWebhook(context.Context, api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	return nil, fault.NotBuilt("updateWebhook")
}
