package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/tenant"
)

// The tenant platform's handlers: accounts, apps, services and sub-accounts.

// needBody guards against a missing body; the gate's validation refuses one first.
func needBody[T any](b *T) error {
	if b == nil {
		return fault.Invalidf("the request needs a JSON body")
	}
	return nil
}

func (s *Server) GetCaptcha(ctx context.Context, _ api.GetCaptchaRequestObject) (api.GetCaptchaResponseObject, error) {
	c, err := s.tenant.Captchas().Issue(ctx)
	if err != nil {
		return nil, err
	}
	return success[api.GetCaptcha200JSONResponse](api.Captcha{CaptchaId: c.ID, Image: c.Image}), nil
}

func (s *Server) SendEmailCode(ctx context.Context, req api.SendEmailCodeRequestObject) (api.SendEmailCodeResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	r := tenant.CodeRequest{Email: string(b.Email), Purpose: string(b.Purpose)}
	if b.CaptchaId != nil {
		r.CaptchaID = *b.CaptchaId
	}
	if b.CaptchaCode != nil {
		r.CaptchaCode = *b.CaptchaCode
	}
	if err := s.tenant.SendEmailCode(ctx, r); err != nil {
		return nil, err
	}
	return successEmpty[api.SendEmailCode200JSONResponse](), nil
}

func apiLoginResult(ses tenant.Session) api.LoginResult {
	return api.LoginResult{Token: ses.Token, ExpiresAt: ses.ExpiresAt, TenantId: ses.TenantID, AccountId: ses.AccountID,
		Email: ses.Email, Name: ses.Name, Role: api.AccountRole(ses.Role), TenantName: ses.TenantName}
}

func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	ses, err := s.tenant.Register(ctx, tenant.Registration{Email: string(b.Email), Password: b.Password, Code: b.Code, Name: b.Name})
	if err != nil {
		return nil, err
	}
	return success[api.Register200JSONResponse](apiLoginResult(ses)), nil
}

func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	ses, err := s.tenant.Login(ctx, string(req.Body.Email), req.Body.Password)
	if err != nil {
		return nil, err
	}
	return success[api.Login200JSONResponse](apiLoginResult(ses)), nil
}

func (s *Server) GetCurrentAccount(ctx context.Context, _ api.GetCurrentAccountRequestObject) (api.GetCurrentAccountResponseObject, error) {
	a, err := s.tenant.CurrentAccount(ctx, principalFrom(ctx))
	if err != nil {
		return nil, err
	}
	return success[api.GetCurrentAccount200JSONResponse](api.CurrentAccount{TenantId: a.TenantID, AccountId: a.AccountID, Email: a.Email, Name: a.Name, Role: api.AccountRole(a.Role), TenantName: a.TenantName}), nil
}

func (s *Server) ForgotPassword(ctx context.Context, req api.ForgotPasswordRequestObject) (api.ForgotPasswordResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.tenant.ForgotPassword(ctx, string(req.Body.Email)); err != nil {
		return nil, err
	}
	return successEmpty[api.ForgotPassword200JSONResponse](), nil
}

func (s *Server) ResetPassword(ctx context.Context, req api.ResetPasswordRequestObject) (api.ResetPasswordResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	r := tenant.PasswordReset{Password: b.Password}
	if b.Token != nil {
		r.Token = *b.Token
	}
	if b.Email != nil {
		r.Email = string(*b.Email)
	}
	if b.Code != nil {
		r.Code = *b.Code
	}
	if err := s.tenant.ResetPassword(ctx, r); err != nil {
		return nil, err
	}
	return successEmpty[api.ResetPassword200JSONResponse](), nil
}
