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

func (s *Server) ListGroupJoinRequests(context.Context, api.ListGroupJoinRequestsRequestObject) (api.ListGroupJoinRequestsResponseObject, error) {
	return nil, fault.NotBuilt("listGroupJoinRequests")
}

func (s *Server) RejectGroupJoinRequest(context.Context, api.RejectGroupJoinRequestRequestObject) (api.RejectGroupJoinRequestResponseObject, error) {
	return nil, fault.NotBuilt("rejectGroupJoinRequest")
}
