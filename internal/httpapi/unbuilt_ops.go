// Code written by scripts/unbuilt-stubs.py: the ops routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) GetStatistics(context.Context, api.GetStatisticsRequestObject) (api.GetStatisticsResponseObject, error) {
	return nil, fault.NotBuilt("getStatistics")
}

func (s *Server) ListTenants(context.Context, api.ListTenantsRequestObject) (api.ListTenantsResponseObject, error) {
	return nil, fault.NotBuilt("listTenants")
}

func (s *Server) OpsLogin(context.Context, api.OpsLoginRequestObject) (api.OpsLoginResponseObject, error) {
	return nil, fault.NotBuilt("opsLogin")
}

func (s *Server) ToggleTenantStatus(context.Context, api.ToggleTenantStatusRequestObject) (api.ToggleTenantStatusResponseObject, error) {
	return nil, fault.NotBuilt("toggleTenantStatus")
}
