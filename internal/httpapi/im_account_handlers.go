package httpapi

import (
	"context"
	"encoding/json"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/page"
)

func (s *Server) ImLogin(ctx context.Context, req api.ImLoginRequestObject) (api.ImLoginResponseObject, error) {
	tok, err := s.imAccounts.Login(ctx, principalFrom(ctx), req.Params.UserId)
	if err != nil {
		return nil, err
	}
	return success[api.ImLogin200JSONResponse](api.Token{Token: tok.Token, ExpiresAt: tok.ExpiresAt}), nil
}

func (s *Server) GetImAccount(ctx context.Context, req api.GetImAccountRequestObject) (api.GetImAccountResponseObject, error) {
	acc, err := s.imAccounts.Get(ctx, principalFrom(ctx), req.UserId)
	if err != nil {
		return nil, err
	}
	data, err := apiImAccount(acc)
	if err != nil {
		return nil, err
	}
	return success[api.GetImAccount200JSONResponse](data), nil
}

func (s *Server) UpdateImAccount(ctx context.Context, req api.UpdateImAccountRequestObject) (api.UpdateImAccountResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	change, err := profileOf(req.Body.Nickname, req.Body.AvatarUrl, req.Body.Extra)
	if err != nil {
		return nil, err
	}
	acc, err := s.imAccounts.Update(ctx, principalFrom(ctx), req.UserId, change)
	if err != nil {
		return nil, err
	}
	data, err := apiImAccount(acc)
	if err != nil {
		return nil, err
	}
	return success[api.UpdateImAccount200JSONResponse](data), nil
}

func (s *Server) DeleteImAccount(ctx context.Context, req api.DeleteImAccountRequestObject) (api.DeleteImAccountResponseObject, error) {
	if err := s.imAccounts.Delete(ctx, principalFrom(ctx), req.UserId); err != nil {
		return nil, err
	}
	s.accountsChanged(ctx, "account.delete", []string{req.UserId}, nil)
	return successEmpty[api.DeleteImAccount200JSONResponse](), nil
}

func (s *Server) SearchImAccounts(ctx context.Context, req api.SearchImAccountsRequestObject) (api.SearchImAccountsResponseObject, error) {
	found, err := s.imAccounts.Search(ctx, principalFrom(ctx), req.Params.Keyword, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.SearchImAccounts200JSONResponse](found, apiImAccountPublic), nil
}

func apiImAccountPublic(a account.Public) api.ImAccountPublic {
	return api.ImAccountPublic{UserId: a.UserID, Nickname: a.Nickname, AvatarUrl: a.AvatarURL}
}

func (s *Server) ImportImAccount(ctx context.Context, req api.ImportImAccountRequestObject) (api.ImportImAccountResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	in, err := importOf(*req.Body)
	if err != nil {
		return nil, err
	}
	acc, err := s.imAccounts.ImportOne(ctx, principalFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	var created []string
	if acc.CreatedAt.Equal(acc.UpdatedAt) {
		created = []string{acc.UserID}
	}
	s.accountsChanged(ctx, "account.import", []string{acc.UserID}, created)
	data, err := apiImAccount(acc)
	if err != nil {
		return nil, err
	}
	return success[api.ImportImAccount200JSONResponse](data), nil
}

func (s *Server) ImportImAccountsBatch(ctx context.Context, req api.ImportImAccountsBatchRequestObject) (api.ImportImAccountsBatchResponseObject, error) {
	if req.Body == nil {
		return nil, fault.Invalidf("the request needs a JSON array of accounts")
	}
	items := make([]account.Import, len(*req.Body))
	for i, body := range *req.Body {
		in, err := importOf(body)
		if err != nil {
			return nil, err
		}
		items[i] = in
	}
	res, err := s.imAccounts.ImportBatch(ctx, principalFrom(ctx), items)
	if err != nil {
		return nil, err
	}
	var ids, created []string
	for _, it := range res.Items {
		if it.Outcome != account.Failed {
			ids = append(ids, it.UserID)
		}
		if it.Outcome == account.Created {
			created = append(created, it.UserID)
		}
	}
	if len(ids) > 0 {
		s.accountsChanged(ctx, "account.import", ids, created)
	}
	data := api.ImAccountImportBatch{
		Created: int32(res.Created), Updated: int32(res.Updated), Failed: int32(res.Failed),
		Items: make([]api.ImAccountImportItemResult, len(res.Items)),
	}
	for i, it := range res.Items {
		data.Items[i] = api.ImAccountImportItemResult{UserId: it.UserID, Result: api.ImAccountImportItemResultResult(it.Outcome), Message: it.Message}
	}
	return success[api.ImportImAccountsBatch200JSONResponse](data), nil
}

func (s *Server) CheckImAccountExists(ctx context.Context, req api.CheckImAccountExistsRequestObject) (api.CheckImAccountExistsResponseObject, error) {
	ok, err := s.imAccounts.Exists(ctx, principalFrom(ctx), req.UserId)
	if err != nil {
		return nil, err
	}
	return success[api.CheckImAccountExists200JSONResponse](api.ImAccountExists{Exists: ok}), nil
}

func apiImAccount(a account.Account) (api.ImAccount, error) {
	out := api.ImAccount{UserId: a.UserID, Nickname: a.Nickname, AvatarUrl: a.AvatarURL, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if err := json.Unmarshal(a.Extra, &out.Extra); err != nil {
		return api.ImAccount{}, fault.Wrap(err, "decode extra")
	}
	if out.Extra == nil {
		out.Extra = map[string]any{}
	}
	return out, nil
}

func importOf(body api.ImAccountImport) (account.Import, error) {
	p, err := profileOf(body.Nickname, body.AvatarUrl, body.Extra)
	return account.Import{UserID: body.UserId, Profile: p}, err
}

func profileOf(nickname, avatarURL *string, extra *map[string]any) (account.Profile, error) {
	p := account.Profile{Nickname: nickname, AvatarURL: avatarURL}
	if extra != nil {
		b, err := json.Marshal(*extra)
		if err != nil {
			return p, fault.InvalidField("extra", "must be a JSON object")
		}
		p.Extra = b
	}
	return p, nil
}
