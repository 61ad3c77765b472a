package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/tenant"
)

// The tenant platform's handlers of sub-accounts.

func apiSubAccount(a tenant.SubAccount) api.SubAccount {
	return api.SubAccount{Id: a.ID, Email: a.Email, Name: a.Name, Role: api.SubAccountRole(a.Role), Status: api.AccountStatus(a.Status), CreatedAt: a.CreatedAt}
}

func (s *Server) ListSubAccounts(ctx context.Context, req api.ListSubAccountsRequestObject) (api.ListSubAccountsResponseObject, error) {
	p, err := s.tenant.ListSubAccounts(ctx, principalFrom(ctx), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListSubAccounts200JSONResponse](p, apiSubAccount), nil
}

func (s *Server) SendSubAccountVerifyCode(ctx context.Context, req api.SendSubAccountVerifyCodeRequestObject) (api.SendSubAccountVerifyCodeResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.tenant.SendSubAccountCode(ctx, principalFrom(ctx), string(req.Body.Email)); err != nil {
		return nil, err
	}
	return successEmpty[api.SendSubAccountVerifyCode200JSONResponse](), nil
}

func (s *Server) VerifySubAccountEmail(ctx context.Context, req api.VerifySubAccountEmailRequestObject) (api.VerifySubAccountEmailResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.tenant.VerifySubAccountEmail(ctx, principalFrom(ctx), string(req.Body.Email), req.Body.Code); err != nil {
		return nil, err
	}
	return success[api.VerifySubAccountEmail200JSONResponse](api.EmailVerification{Email: string(req.Body.Email), Verified: true}), nil
}

func (s *Server) CreateSubAccount(ctx context.Context, req api.CreateSubAccountRequestObject) (api.CreateSubAccountResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	a, err := s.tenant.CreateSubAccount(ctx, principalFrom(ctx), tenant.NewSubAccount{Email: string(b.Email), Password: b.Password, Name: b.Name, Role: string(b.Role), Code: b.Code})
	if err != nil {
		return nil, err
	}
	return success[api.CreateSubAccount200JSONResponse](apiSubAccount(a)), nil
}

func (s *Server) DisableSubAccount(ctx context.Context, req api.DisableSubAccountRequestObject) (api.DisableSubAccountResponseObject, error) {
	if err := s.tenant.DisableSubAccount(ctx, principalFrom(ctx), req.Id); err != nil {
		return nil, err
	}
	return successEmpty[api.DisableSubAccount200JSONResponse](), nil
}
