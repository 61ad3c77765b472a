package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/tenant"
)

// The tenant platform's handlers of sub-accounts.

func toAPISubAccount(a tenant.SubAccount) api.SubAccount {
	return api.SubAccount{Id: a.ID, Email: a.Email, Name: a.Name, Role: api.SubAccountRole(a.Role), Status: api.AccountStatus(a.Status), CreatedAt: a.CreatedAt}
}

func (s *Server) ListSubAccounts(ctx context.Context, req api.ListSubAccountsRequestObject) (api.ListSubAccountsResponseObject, error) {
	p, err := s.tenant.ListSubAccounts(ctx, principalFrom(ctx), page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	content := make([]api.SubAccount, len(p.Items))
	for i, a := range p.Items {
		content[i] = toAPISubAccount(a)
	}
	data := api.SubAccountPage{Content: content}
	data.Page, data.Size, data.TotalElements, data.TotalPages = pageMeta(p)
	return api.ListSubAccounts200JSONResponse(api.SubAccountPageEnvelope{Code: 200, Status: "0", Message: success, Data: data}), nil
}

func (s *Server) SendSubAccountVerifyCode(ctx context.Context, req api.SendSubAccountVerifyCodeRequestObject) (api.SendSubAccountVerifyCodeResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.tenant.SendSubAccountCode(ctx, principalFrom(ctx), string(req.Body.Email)); err != nil {
		return nil, err
	}
	return api.SendSubAccountVerifyCode200JSONResponse(emptyEnvelope()), nil
}

func (s *Server) VerifySubAccountEmail(ctx context.Context, req api.VerifySubAccountEmailRequestObject) (api.VerifySubAccountEmailResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.tenant.VerifySubAccountEmail(ctx, principalFrom(ctx), string(req.Body.Email), req.Body.Code); err != nil {
		return nil, err
	}
	return api.VerifySubAccountEmail200JSONResponse(api.EmailVerificationEnvelope{Code: 200, Status: "0", Message: success,
		Data: api.EmailVerification{Email: string(req.Body.Email), Verified: true}}), nil
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
	return api.CreateSubAccount200JSONResponse(api.SubAccountEnvelope{Code: 200, Status: "0", Message: success, Data: toAPISubAccount(a)}), nil
}

func (s *Server) DisableSubAccount(ctx context.Context, req api.DisableSubAccountRequestObject) (api.DisableSubAccountResponseObject, error) {
	if err := s.tenant.DisableSubAccount(ctx, principalFrom(ctx), req.Id); err != nil {
		return nil, err
	}
	return api.DisableSubAccount200JSONResponse(emptyEnvelope()), nil
}
