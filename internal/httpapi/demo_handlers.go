package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
)

func (s *Server) DemoLogin(ctx context.Context, req api.DemoLoginRequestObject) (api.DemoLoginResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	in, err := s.demo.Login(ctx, req.Body.Username, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return success[api.DemoLogin200JSONResponse](api.DemoLogin{Token: in.Token, ExpiresAt: in.ExpiresAt, UserId: in.UserID, AppId: in.AppKey}), nil
}

func (s *Server) DemoRefreshImToken(ctx context.Context, req api.DemoRefreshImTokenRequestObject) (api.DemoRefreshImTokenResponseObject, error) {
	tok, err := s.demo.RefreshIM(ctx, principalFrom(ctx), req.Params.AppId)
	if err != nil {
		return nil, err
	}
	return success[api.DemoRefreshImToken200JSONResponse](api.Token{Token: tok.Token, ExpiresAt: tok.ExpiresAt}), nil
}
