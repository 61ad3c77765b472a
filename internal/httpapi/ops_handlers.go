package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/ops"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// The operations platform's handlers.

func apiTenant(t ops.Tenant) api.Tenant {
	return api.Tenant{Id: t.ID, Name: t.Name, Email: t.Email, Status: api.TenantStatus(t.Status), AppCount: t.AppCount, CreatedAt: t.CreatedAt}
}

func (s *Server) OpsLogin(ctx context.Context, req api.OpsLoginRequestObject) (api.OpsLoginResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	t, err := s.ops.Login(ctx, req.Body.Username, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return success[api.OpsLogin200JSONResponse](api.Token{Token: t.Token, ExpiresAt: t.ExpiresAt}), nil
}

func (s *Server) ListTenants(ctx context.Context, req api.ListTenantsRequestObject) (api.ListTenantsResponseObject, error) {
	keyword, status := "", ""
	if req.Params.Keyword != nil {
		keyword = *req.Params.Keyword
	}
	if req.Params.Status != nil {
		status = string(*req.Params.Status)
	}
	p, err := s.ops.ListTenants(ctx, principalFrom(ctx), page.New(req.Params.Page, req.Params.Size), keyword, status)
	if err != nil {
		return nil, err
	}
	return successPage[api.ListTenants200JSONResponse](p, apiTenant), nil
}

func (s *Server) ToggleTenantStatus(ctx context.Context, req api.ToggleTenantStatusRequestObject) (api.ToggleTenantStatusResponseObject, error) {
	var enabled *bool
	if req.Body != nil {
		enabled = req.Body.Enabled
	}
	t, err := s.ops.ToggleTenantStatus(ctx, principalFrom(ctx), req.Id, enabled)
	if err != nil {
		return nil, err
	}
	return success[api.ToggleTenantStatus200JSONResponse](apiTenant(t)), nil
}

func (s *Server) GetStatistics(ctx context.Context, _ api.GetStatisticsRequestObject) (api.GetStatisticsResponseObject, error) {
	st, err := s.ops.Statistics(ctx, principalFrom(ctx))
	if err != nil {
		return nil, err
	}
	return success[api.GetStatistics200JSONResponse](api.OpsStatistics{
		Tenants: st.Tenants, Apps: st.Apps, ImAccounts: st.IMAccounts, MessagesToday: st.MessagesToday, MessagesLast7Days: st.MessagesLast7Days,
		Groups: st.Groups, Files: st.Files, BytesStored: st.BytesStored, AppVersions: st.AppVersions, RnBundles: st.RNBundles,
		PushesSent: st.PushesSent, OnlineConnections: st.OnlineConnections, GeneratedAt: st.GeneratedAt,
	}), nil
}
