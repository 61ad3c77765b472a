// Code written by scripts/unbuilt-stubs.py: the tenant routes not built yet answer 501.

package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

func (s *Server) CreateApp(context.Context, api.CreateAppRequestObject) (api.CreateAppResponseObject, error) {
	return nil, fault.NotBuilt("createApp")
}

func (s *Server) CreateSubAccount(context.Context, api.CreateSubAccountRequestObject) (api.CreateSubAccountResponseObject, error) {
	return nil, fault.NotBuilt("createSubAccount")
}

func (s *Server) DeleteApp(context.Context, api.DeleteAppRequestObject) (api.DeleteAppResponseObject, error) {
	return nil, fault.NotBuilt("deleteApp")
}

func (s *Server) DisableSubAccount(context.Context, api.DisableSubAccountRequestObject) (api.DisableSubAccountResponseObject, error) {
	return nil, fault.NotBuilt("disableSubAccount")
}

func (s *Server) ForgotPassword(context.Context, api.ForgotPasswordRequestObject) (api.ForgotPasswordResponseObject, error) {
	return nil, fault.NotBuilt("forgotPassword")
}

func (s *Server) GetApp(context.Context, api.GetAppRequestObject) (api.GetAppResponseObject, error) {
	return nil, fault.NotBuilt("getApp")
}

func (s *Server) GetCaptcha(context.Context, api.GetCaptchaRequestObject) (api.GetCaptchaResponseObject, error) {
	return nil, fault.NotBuilt("getCaptcha")
}

func (s *Server) GetCurrentAccount(context.Context, api.GetCurrentAccountRequestObject) (api.GetCurrentAccountResponseObject, error) {
	return nil, fault.NotBuilt("getCurrentAccount")
}

func (s *Server) ListAppServices(context.Context, api.ListAppServicesRequestObject) (api.ListAppServicesResponseObject, error) {
	return nil, fault.NotBuilt("listAppServices")
}

func (s *Server) ListApps(context.Context, api.ListAppsRequestObject) (api.ListAppsResponseObject, error) {
	return nil, fault.NotBuilt("listApps")
}

func (s *Server) ListSubAccounts(context.Context, api.ListSubAccountsRequestObject) (api.ListSubAccountsResponseObject, error) {
	return nil, fault.NotBuilt("listSubAccounts")
}

func (s *Server) Login(context.Context, api.LoginRequestObject) (api.LoginResponseObject, error) {
	return nil, fault.NotBuilt("login")
}

func (s *Server) RegenerateAppSecret(context.Context, api.RegenerateAppSecretRequestObject) (api.RegenerateAppSecretResponseObject, error) {
	return nil, fault.NotBuilt("regenerateAppSecret")
}

func (s *Server) RegenerateServiceKey(context.Context, api.RegenerateServiceKeyRequestObject) (api.RegenerateServiceKeyResponseObject, error) {
	return nil, fault.NotBuilt("regenerateServiceKey")
}

func (s *Server) Register(context.Context, api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	return nil, fault.NotBuilt("register")
}

func (s *Server) ResetPassword(context.Context, api.ResetPasswordRequestObject) (api.ResetPasswordResponseObject, error) {
	return nil, fault.NotBuilt("resetPassword")
}

func (s *Server) SendEmailCode(context.Context, api.SendEmailCodeRequestObject) (api.SendEmailCodeResponseObject, error) {
	return nil, fault.NotBuilt("sendEmailCode")
}

func (s *Server) SendSubAccountVerifyCode(context.Context, api.SendSubAccountVerifyCodeRequestObject) (api.SendSubAccountVerifyCodeResponseObject, error) {
	return nil, fault.NotBuilt("sendSubAccountVerifyCode")
}

func (s *Server) ToggleAppService(context.Context, api.ToggleAppServiceRequestObject) (api.ToggleAppServiceResponseObject, error) {
	return nil, fault.NotBuilt("toggleAppService")
}

func (s *Server) UpdateApp(context.Context, api.UpdateAppRequestObject) (api.UpdateAppResponseObject, error) {
	return nil, fault.NotBuilt("updateApp")
}

func (s *Server) VerifySubAccountEmail(context.Context, api.VerifySubAccountEmailRequestObject) (api.VerifySubAccountEmailResponseObject, error) {
	return nil, fault.NotBuilt("verifySubAccountEmail")
}
