// Code written by scripts/unbuilt-stubs.py: the push routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) RegisterPushDevice(context.Context, api.RegisterPushDeviceRequestObject) (api.RegisterPushDeviceResponseObject, error) {
	return nil, fault.NotBuilt("registerPushDevice")
}

func (s *Server) SendPush(context.Context, api.SendPushRequestObject) (api.SendPushResponseObject, error) {
	return nil, fault.NotBuilt("sendPush")
}
