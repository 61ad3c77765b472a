// Code written by scripts/unbuilt-stubs.py: the demo routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) DemoLogin(context.Context, api.DemoLoginRequestObject) (api.DemoLoginResponseObject, error) {
	return nil, fault.NotBuilt("demoLogin")
}

func (s *Server) DemoRefreshImToken(context.Context, api.DemoRefreshImTokenRequestObject) (api.DemoRefreshImTokenResponseObject, error) {
	return nil, fault.NotBuilt("demoRefreshImToken")
}
