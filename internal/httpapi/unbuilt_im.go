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

func (s *Server) AddGroupMembers(context.Context, api.AddGroupMembersRequestObject) (api.AddGroupMembersResponseObject, error) {
	return nil, fault.NotBuilt("addGroupMembers")
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

func (s *Server) CreateGroup(context.Context, api.CreateGroupRequestObject) (api.CreateGroupResponseObject, error) {
	return nil, fault.NotBuilt("createGroup")
}

func (s *Server) CreateGroupJoinRequest(context.Context, api.CreateGroupJoinRequestRequestObject) (api.CreateGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("createGroupJoinRequest")
}

func (s *Server) CreateWebhook(context.Context, api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	return nil, fault.NotBuilt("createWebhook")
}

func (s *Server) DeleteConversation(context.Context, api.DeleteConversationRequestObject) (api.DeleteConversationResponseObject, error) {
	return nil, fault.NotBuilt("deleteConversation")
}

func (s *Server) DeleteFriend(context.Context, api.DeleteFriendRequestObject) (api.DeleteFriendResponseObject, error) {
	return nil, fault.NotBuilt("deleteFriend")
}

func (s *Server) DeleteWebhook(context.Context, api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	return nil, fault.NotBuilt("deleteWebhook")
}

func (s *Server) DissolveGroup(context.Context, api.DissolveGroupRequestObject) (api.DissolveGroupResponseObject, error) {
	return nil, fault.NotBuilt("dissolveGroup")
}

func (s *Server) EditMessage(context.Context, api.EditMessageRequestObject) (api.EditMessageResponseObject, error) {
	return nil, fault.NotBuilt("editMessage")
}

func (s *Server) GetGroup(context.Context, api.GetGroupRequestObject) (api.GetGroupResponseObject, error) {
	return nil, fault.NotBuilt("getGroup")
}

func (s *Server) ListBlockedUsers(context.Context, api.ListBlockedUsersRequestObject) (api.ListBlockedUsersResponseObject, error) {
	return nil, fault.NotBuilt("listBlockedUsers")
}

func (s *Server) ListConversations(context.Context, api.ListConversationsRequestObject) (api.ListConversationsResponseObject, error) {
	return nil, fault.NotBuilt("listConversations")
}

func (s *Server) ListFriendRequests(context.Context, api.ListFriendRequestsRequestObject) (api.ListFriendRequestsResponseObject, error) {
	return nil, fault.NotBuilt("listFriendRequests")
}

func (s *Server) ListFriends(context.Context, api.ListFriendsRequestObject) (api.ListFriendsResponseObject, error) {
	return nil, fault.NotBuilt("listFriends")
}

func (s *Server) ListGroupHistory(context.Context, api.ListGroupHistoryRequestObject) (api.ListGroupHistoryResponseObject, error) {
	return nil, fault.NotBuilt("listGroupHistory")
}

func (s *Server) ListGroupJoinRequests(context.Context, api.ListGroupJoinRequestsRequestObject) (api.ListGroupJoinRequestsResponseObject, error) {
	return nil, fault.NotBuilt("listGroupJoinRequests")
}

func (s *Server) ListGroupMembers(context.Context, api.ListGroupMembersRequestObject) (api.ListGroupMembersResponseObject, error) {
	return nil, fault.NotBuilt("listGroupMembers")
}

func (s *Server) ListMyGroups(context.Context, api.ListMyGroupsRequestObject) (api.ListMyGroupsResponseObject, error) {
	return nil, fault.NotBuilt("listMyGroups")
}

func (s *Server) ListPublicGroups(context.Context, api.ListPublicGroupsRequestObject) (api.ListPublicGroupsResponseObject, error) {
	return nil, fault.NotBuilt("listPublicGroups")
}

func (s *Server) ListSingleHistory(context.Context, api.ListSingleHistoryRequestObject) (api.ListSingleHistoryResponseObject, error) {
	return nil, fault.NotBuilt("listSingleHistory")
}

func (s *Server) ListWebhooks(context.Context, api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	return nil, fault.NotBuilt("listWebhooks")
}

func (s *Server) MarkConversationRead(context.Context, api.MarkConversationReadRequestObject) (api.MarkConversationReadResponseObject, error) {
	return nil, fault.NotBuilt("markConversationRead")
}

func (s *Server) RejectFriendRequest(context.Context, api.RejectFriendRequestRequestObject) (api.RejectFriendRequestResponseObject, error) {
	return nil, fault.NotBuilt("rejectFriendRequest")
}

func (s *Server) RejectGroupJoinRequest(context.Context, api.RejectGroupJoinRequestRequestObject) (api.RejectGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("rejectGroupJoinRequest")
}

func (s *Server) RemoveGroupMember(context.Context, api.RemoveGroupMemberRequestObject) (api.RemoveGroupMemberResponseObject, error) {
	return nil, fault.NotBuilt("removeGroupMember")
}

func (s *Server) RevokeMessage(context.Context, api.RevokeMessageRequestObject) (api.RevokeMessageResponseObject, error) {
	return nil, fault.NotBuilt("revokeMessage")
}

func (s *Server) SearchGroupMembers(context.Context, api.SearchGroupMembersRequestObject) (api.SearchGroupMembersResponseObject, error) {
	return nil, fault.NotBuilt("searchGroupMembers")
}

func (s *Server) SearchGroups(context.Context, api.SearchGroupsRequestObject) (api.SearchGroupsResponseObject, error) {
	return nil, fault.NotBuilt("searchGroups")
}

func (s *Server) SearchMessages(context.Context, api.SearchMessagesRequestObject) (api.SearchMessagesResponseObject, error) {
	return nil, fault.NotBuilt("searchMessages")
}

func (s *Server) SendFriendRequest(context.Context, api.SendFriendRequestRequestObject) (api.SendFriendRequestResponseObject, error) {
	return nil, fault.NotBuilt("sendFriendRequest")
}

func (s *Server) SendMessage(context.Context, api.SendMessageRequestObject) (api.SendMessageResponseObject, error) {
	return nil, fault.NotBuilt("sendMessage")
}

func (s *Server) SetConversationDraft(context.Context, api.SetConversationDraftRequestObject) (api.SetConversationDraftResponseObject, error) {
	return nil, fault.NotBuilt("setConversationDraft")
}

func (s *Server) SetConversationPinned(context.Context, api.SetConversationPinnedRequestObject) (api.SetConversationPinnedResponseObject, error) {
	return nil, fault.NotBuilt("setConversationPinned")
}

func (s *Server) UnblockUser(context.Context, api.UnblockUserRequestObject) (api.UnblockUserResponseObject, error) {
	return nil, fault.NotBuilt("unblockUser")
}

func (s *Server) UpdateGroup(context.Context, api.UpdateGroupRequestObject) (api.UpdateGroupResponseObject, error) {
	return nil, fault.NotBuilt("updateGroup")
}

func (s *Server) UpdateWebhook(context.Context, api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	return nil, fault.NotBuilt("updateWebhook")
}
