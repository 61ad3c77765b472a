package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/tenant"
)

// The tenant platform's handlers of apps and their services.

func apiAppService(sv tenant.AppService) api.AppService {
	return api.AppService{Id: sv.ID, ServiceType: api.ServiceType(sv.Type), Enabled: sv.Enabled, SecretKey: sv.SecretKey}
}

func apiApp(a tenant.App) api.App {
	svcs := make([]api.AppService, len(a.Services))
	for i, sv := range a.Services {
		svcs[i] = apiAppService(sv)
	}
	return api.App{Id: a.ID, Name: a.Name, Description: a.Description, AppKey: a.AppKey, AppSecret: a.AppSecret,
		Services: svcs, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func (s *Server) ListApps(ctx context.Context, req api.ListAppsRequestObject) (api.ListAppsResponseObject, error) {
	keyword := ""
	if req.Params.Keyword != nil {
		keyword = *req.Params.Keyword
	}
	p, err := s.tenant.ListApps(ctx, principalFrom(ctx), page.New(req.Params.Page, req.Params.Size), keyword)
	if err != nil {
		return nil, err
	}
	return successPage[api.ListApps200JSONResponse](p, apiApp), nil
}

func (s *Server) GetApp(ctx context.Context, req api.GetAppRequestObject) (api.GetAppResponseObject, error) {
	a, err := s.tenant.GetApp(ctx, principalFrom(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return success[api.GetApp200JSONResponse](apiApp(a)), nil
}

func (s *Server) CreateApp(ctx context.Context, req api.CreateAppRequestObject) (api.CreateAppResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	a, err := s.tenant.CreateApp(ctx, principalFrom(ctx), tenant.AppInput{Name: req.Body.Name, Description: req.Body.Description})
	if err != nil {
		return nil, err
	}
	return success[api.CreateApp200JSONResponse](apiApp(a)), nil
}

func (s *Server) UpdateApp(ctx context.Context, req api.UpdateAppRequestObject) (api.UpdateAppResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	a, err := s.tenant.UpdateApp(ctx, principalFrom(ctx), req.Id, tenant.AppInput{Name: req.Body.Name, Description: req.Body.Description})
	if err != nil {
		return nil, err
	}
	return success[api.UpdateApp200JSONResponse](apiApp(a)), nil
}

func (s *Server) DeleteApp(ctx context.Context, req api.DeleteAppRequestObject) (api.DeleteAppResponseObject, error) {
	if err := s.tenant.DeleteApp(ctx, principalFrom(ctx), req.Id); err != nil {
		return nil, err
	}
	return successEmpty[api.DeleteApp200JSONResponse](), nil
}

func (s *Server) RegenerateAppSecret(ctx context.Context, req api.RegenerateAppSecretRequestObject) (api.RegenerateAppSecretResponseObject, error) {
	sec, err := s.tenant.RegenerateAppSecret(ctx, principalFrom(ctx), req.Id)
	if err != nil {
		return nil, err
	}
	return success[api.RegenerateAppSecret200JSONResponse](api.AppSecret{Id: sec.ID, AppKey: sec.AppKey, AppSecret: sec.AppSecret}), nil
}

func (s *Server) ListAppServices(ctx context.Context, req api.ListAppServicesRequestObject) (api.ListAppServicesResponseObject, error) {
	svcs, err := s.tenant.ListServices(ctx, principalFrom(ctx), req.AppId)
	if err != nil {
		return nil, err
	}
	data := make([]api.AppService, len(svcs))
	for i, sv := range svcs {
		data[i] = apiAppService(sv)
	}
	return success[api.ListAppServices200JSONResponse](data), nil
}

func (s *Server) ToggleAppService(ctx context.Context, req api.ToggleAppServiceRequestObject) (api.ToggleAppServiceResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	sv, err := s.tenant.ToggleService(ctx, principalFrom(ctx), req.AppId, string(req.Body.ServiceType), req.Body.Enabled)
	if err != nil {
		return nil, err
	}
	return success[api.ToggleAppService200JSONResponse](apiAppService(sv)), nil
}

func (s *Server) RegenerateServiceKey(ctx context.Context, req api.RegenerateServiceKeyRequestObject) (api.RegenerateServiceKeyResponseObject, error) {
	sv, err := s.tenant.RegenerateServiceKey(ctx, principalFrom(ctx), req.AppId, req.Id)
	if err != nil {
		return nil, err
	}
	return success[api.RegenerateServiceKey200JSONResponse](api.ServiceKey{Id: sv.ID, ServiceType: api.ServiceType(sv.Type), SecretKey: sv.SecretKey}), nil
}
