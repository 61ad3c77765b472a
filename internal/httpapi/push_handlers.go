package httpapi

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/push"
)

func apiPushDevice(d push.Device) api.PushDevice {
	return api.PushDevice{
		Id: d.ID, UserId: d.UserID, Platform: api.Platform(d.Platform), Vendor: api.PushVendor(d.Vendor),
		DeviceToken: d.Token, Active: d.Active, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

func (s *Server) RegisterPushDevice(ctx context.Context, req api.RegisterPushDeviceRequestObject) (api.RegisterPushDeviceResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	d, err := s.push.Register(ctx, principalFrom(ctx), push.Registration{
		Token: req.Body.DeviceToken, Platform: string(req.Body.Platform), Vendor: string(req.Body.Vendor),
	})
	if err != nil {
		return nil, err
	}
	return success[api.RegisterPushDevice200JSONResponse](apiPushDevice(d)), nil
}

func (s *Server) UnregisterPushDevice(ctx context.Context, req api.UnregisterPushDeviceRequestObject) (api.UnregisterPushDeviceResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	if err := s.push.Unregister(ctx, principalFrom(ctx), req.Body.DeviceToken); err != nil {
		return nil, err
	}
	return successEmpty[api.UnregisterPushDevice200JSONResponse](), nil
}

func (s *Server) ListPushDevices(ctx context.Context, req api.ListPushDevicesRequestObject) (api.ListPushDevicesResponseObject, error) {
	p, err := s.push.Devices(ctx, principalFrom(ctx), req.Params.UserId, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListPushDevices200JSONResponse](p, apiPushDevice), nil
}

func (s *Server) SendPush(ctx context.Context, req api.SendPushRequestObject) (api.SendPushResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	p := push.Push{Notification: push.Notification{Title: b.Title, Body: b.Body, Badge: b.Badge, TTLSeconds: b.TtlSeconds}}
	if b.UserIds != nil {
		p.UserIDs = *b.UserIds
	}
	if b.DeviceTokens != nil {
		p.DeviceTokens = *b.DeviceTokens
	}
	if b.Sound != nil {
		p.Sound = *b.Sound
	}
	if b.CollapseId != nil {
		p.CollapseID = *b.CollapseId
	}
	if b.Data != nil {
		data, err := json.Marshal(*b.Data)
		if err != nil {
			return nil, fault.InvalidField("data", "must be a JSON object")
		}
		p.Data = data
	}
	res, err := s.push.Send(ctx, principalFrom(ctx), p)
	if err != nil {
		return nil, err
	}
	return success[api.SendPush200JSONResponse](apiPushResult(res)), nil
}

func apiPushResult(res push.Result) api.PushResult {
	return api.PushResult{
		PushId: strconv.FormatInt(res.PushID, 10), Requested: int32(res.Requested), Devices: int32(res.Devices),
		Queued: int32(res.Queued), Accepted: int32(res.Accepted), Failed: int32(res.Failed), CreatedAt: res.CreatedAt,
	}
}

func (s *Server) GetPush(ctx context.Context, req api.GetPushRequestObject) (api.GetPushResponseObject, error) {
	res, err := s.push.Get(ctx, principalFrom(ctx), req.PushId)
	if err != nil {
		return nil, err
	}
	return success[api.GetPush200JSONResponse](apiPushResult(res)), nil
}

func (s *Server) ListPushDeliveries(ctx context.Context, req api.ListPushDeliveriesRequestObject) (api.ListPushDeliveriesResponseObject, error) {
	p, err := s.push.Deliveries(ctx, principalFrom(ctx), req.PushId, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListPushDeliveries200JSONResponse](p, apiPushDelivery), nil
}

func apiPushDelivery(d push.Delivery) api.PushDelivery {
	out := api.PushDelivery{
		DeviceId: d.DeviceID, UserId: d.UserID, Vendor: api.PushVendor(d.Vendor), DeviceToken: d.Token,
		Status: api.PushDeliveryStatus(d.Status), Reason: d.Reason, Attempts: int32(d.Attempts), UpdatedAt: d.UpdatedAt,
	}
	if d.ProviderID != "" {
		out.ProviderMessageId = &d.ProviderID
	}
	return out
}

func apiPushCredential(c push.Credential) api.PushCredential {
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	out := api.PushCredential{
		Vendor: api.PushVendor(c.Vendor), Fingerprint: c.Fingerprint, UpdatedAt: c.UpdatedAt,
		KeyId: opt(c.Settings.KeyID), TeamId: opt(c.Settings.TeamID), BundleId: opt(c.Settings.BundleID),
		ProjectId: opt(c.Settings.ProjectID), ClientEmail: opt(c.Settings.ClientEmail), HmsAppId: opt(c.Settings.HMSAppID),
	}
	if c.Settings.Environment != "" {
		env := api.PushCredentialEnvironment(c.Settings.Environment)
		out.Environment = &env
	}
	return out
}

func (s *Server) ListPushCredentials(ctx context.Context, req api.ListPushCredentialsRequestObject) (api.ListPushCredentialsResponseObject, error) {
	list, err := s.push.Credentials(ctx, principalFrom(ctx), req.AppId)
	if err != nil {
		return nil, err
	}
	data := make([]api.PushCredential, len(list))
	for i, c := range list {
		data[i] = apiPushCredential(c)
	}
	return success[api.ListPushCredentials200JSONResponse](data), nil
}

func (s *Server) SetPushCredential(ctx context.Context, req api.SetPushCredentialRequestObject) (api.SetPushCredentialResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	val := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	in := push.CredentialInput{
		PrivateKey: val(b.PrivateKey), KeyID: val(b.KeyId), TeamID: val(b.TeamId), BundleID: val(b.BundleId),
		ServiceAccountJSON: val(b.ServiceAccountJson), HMSAppID: val(b.HmsAppId), ClientSecret: val(b.ClientSecret),
	}
	if b.Environment != nil {
		in.Environment = string(*b.Environment)
	}
	c, err := s.push.SetCredential(ctx, principalFrom(ctx), req.AppId, string(req.Vendor), in)
	if err != nil {
		return nil, err
	}
	return success[api.SetPushCredential200JSONResponse](apiPushCredential(c)), nil
}

func (s *Server) DeletePushCredential(ctx context.Context, req api.DeletePushCredentialRequestObject) (api.DeletePushCredentialResponseObject, error) {
	if err := s.push.DeleteCredential(ctx, principalFrom(ctx), req.AppId, string(req.Vendor)); err != nil {
		return nil, err
	}
	return successEmpty[api.DeletePushCredential200JSONResponse](), nil
}

func (s *Server) SetConversationMuted(ctx context.Context, req api.SetConversationMutedRequestObject) (api.SetConversationMutedResponseObject, error) {
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	chatType := string(req.Params.ChatType)
	if err := s.push.SetMuted(ctx, principalFrom(ctx), chatType, req.TargetId, req.Body.Muted); err != nil {
		return nil, err
	}
	return success[api.SetConversationMuted200JSONResponse](api.ConversationMute{
		TargetId: req.TargetId, ChatType: req.Params.ChatType, Muted: req.Body.Muted,
	}), nil
}
