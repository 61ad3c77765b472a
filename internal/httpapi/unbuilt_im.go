// Code written by scripts/unbuilt-stubs.py: the im routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) AcceptGroupJoinRequest(context.Context, api.AcceptGroupJoinRequestRequestObject) (api.AcceptGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("acceptGroupJoinRequest")
}

func (s *Server) CreateGroupJoinRequest(context.Context, api.CreateGroupJoinRequestRequestObject) (api.CreateGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("createGroupJoinRequest")
}

func (s *Server) CreateWebhook(context.Context, api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	return nil, fault.NotBuilt("createWebhook")
}

func (s *Server) DeleteWebhook(context.Context, api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	return nil, fault.NotBuilt("deleteWebhook")
}

func (s *Server) ListGroupJoinRequests(context.Context, api.ListGroupJoinRequestsRequestObject) (api.ListGroupJoinRequestsResponseObject, error) {
	return nil, fault.NotBuilt("listGroupJoinRequests")
}

func (s *Server) ListWebhookDeliveries(context.Context, api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	return nil, fault.NotBuilt("listWebhookDeliveries")
}

func (s *Server) ListWebhooks(context.Context, api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	return nil, fault.NotBuilt("listWebhooks")
}

func (s *Server) RejectGroupJoinRequest(context.Context, api.RejectGroupJoinRequestRequestObject) (api.RejectGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("rejectGroupJoinRequest")
}

func (s *Server) UpdateWebhook(context.Context, api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	return nil, fault.NotBuilt("updateWebhook")
}
