package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// The IM admin routes (auth app-admin): internal/im decides who may administer the app.

func imAdmin(ctx context.Context) (im.Admin, error) { return im.AdminOf(principalFrom(ctx)) }

// accountsChanged puts an account import or deletion, done already, into the operation log
// and tells the webhooks; a failure there cannot undo it, so it is logged.
func (s *Server) accountsChanged(ctx context.Context, action string, userIDs, created []string) {
	a, err := imAdmin(ctx)
	if err == nil {
		err = s.im.AccountsChanged(ctx, a, action, userIDs, created)
	}
	if err != nil {
		loggerFrom(ctx).Warn("record account change", "action", action, "err", err)
	}
}

func (s *Server) AdminListImUsers(ctx context.Context, req api.AdminListImUsersRequestObject) (api.AdminListImUsersResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	p, err := s.im.AdminUsers(ctx, a, imValue(q.Keyword), imValue(q.IncludeDeleted), page.New(q.Page, q.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.AdminListImUsers200JSONResponse](p, apiAdminImUser), nil
}

func apiAdminImUser(u im.AdminUser) api.AdminImUser {
	return api.AdminImUser{UserId: u.UserID, Nickname: u.Nickname, AvatarUrl: u.AvatarURL, CreatedAt: u.CreatedAt, DeletedAt: u.DeletedAt, Online: u.Online}
}

func (s *Server) AdminListGroups(ctx context.Context, req api.AdminListGroupsRequestObject) (api.AdminListGroupsResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	p, err := s.im.AdminGroups(ctx, a, imValue(q.Keyword), imValue(q.IncludeDissolved), page.New(q.Page, q.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.AdminListGroups200JSONResponse](p, apiAdminGroup), nil
}

func apiAdminGroup(g im.AdminGroup) api.AdminGroup {
	return api.AdminGroup{GroupId: g.GroupID, Name: g.Name, OwnerId: g.OwnerID, MemberCount: g.MemberCount, CreatedAt: g.CreatedAt, DissolvedAt: g.DissolvedAt}
}

func (s *Server) AdminListMessages(ctx context.Context, req api.AdminListMessagesRequestObject) (api.AdminListMessagesResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	p, err := s.im.AdminMessages(ctx, a, q.UserA, q.UserB, page.New(q.Page, q.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.AdminListMessages200JSONResponse](p, apiMessage), nil
}

func (s *Server) AdminListOperationLogs(ctx context.Context, req api.AdminListOperationLogsRequestObject) (api.AdminListOperationLogsResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.im.OperationLogs(ctx, a, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.AdminListOperationLogs200JSONResponse](p, apiOperationLog), nil
}

func apiOperationLog(l im.OperationLog) api.OperationLog {
	return api.OperationLog{Id: l.ID, ActorType: api.OperationLogActorType(l.ActorType), ActorId: l.ActorID, Action: l.Action,
		TargetType: l.TargetType, TargetId: l.TargetID, Detail: l.Detail, CreatedAt: l.CreatedAt}
}

func (s *Server) AdminRevokeMessage(ctx context.Context, req api.AdminRevokeMessageRequestObject) (api.AdminRevokeMessageResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	id, err := parseMessageID(req.MsgId)
	if err != nil {
		return nil, err
	}
	m, err := s.im.AdminRevoke(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return success[api.AdminRevokeMessage200JSONResponse](apiMessage(m)), nil
}

func (s *Server) AdminDissolveGroup(ctx context.Context, req api.AdminDissolveGroupRequestObject) (api.AdminDissolveGroupResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.im.AdminDissolve(ctx, a, req.GroupId); err != nil {
		return nil, err
	}
	return successEmpty[api.AdminDissolveGroup200JSONResponse](), nil
}

func (s *Server) GetImSettings(ctx context.Context, _ api.GetImSettingsRequestObject) (api.GetImSettingsResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.im.Settings(ctx, a)
	if err != nil {
		return nil, err
	}
	return success[api.GetImSettings200JSONResponse](api.ImSettings{FriendsOnly: st.FriendsOnly}), nil
}

func (s *Server) UpdateImSettings(ctx context.Context, req api.UpdateImSettingsRequestObject) (api.UpdateImSettingsResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.im.UpdateSettings(ctx, a, req.Body.FriendsOnly)
	if err != nil {
		return nil, err
	}
	return success[api.UpdateImSettings200JSONResponse](api.ImSettings{FriendsOnly: st.FriendsOnly}), nil
}
