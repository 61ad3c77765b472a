package httpapi

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/push"
)

func (s *Server) RegisterPushDevice(ctx context.Context, req api.RegisterPushDeviceRequestObject) (api.RegisterPushDeviceResponseObject, error) {
	if req.Body == nil {
		return nil, fault.Invalidf("the request needs a JSON body")
	}
	d, err := s.push.Register(ctx, principalFrom(ctx), push.Registration{
		Token: req.Body.DeviceToken, Platform: string(req.Body.Platform), Vendor: string(req.Body.Vendor),
	})
	if err != nil {
		return nil, err
	}
	return api.RegisterPushDevice200JSONResponse(api.PushDeviceEnvelope{Code: 200, Status: "0", Message: "success", Data: api.PushDevice{
		Id: d.ID, UserId: d.UserID, Platform: api.Platform(d.Platform), Vendor: api.PushVendor(d.Vendor),
		DeviceToken: d.Token, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}}), nil
}

func (s *Server) SendPush(ctx context.Context, req api.SendPushRequestObject) (api.SendPushResponseObject, error) {
	if req.Body == nil {
		return nil, fault.Invalidf("the request needs a JSON body")
	}
	b := req.Body
	p := push.Push{
		UserIDs:      b.UserIds,
		Notification: push.Notification{Title: b.Title, Body: b.Body, Badge: b.Badge, TTLSeconds: b.TtlSeconds},
	}
	if b.Sound != nil {
		p.Sound = *b.Sound
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
	return api.SendPush200JSONResponse(api.PushResultEnvelope{Code: 200, Status: "0", Message: "success", Data: api.PushResult{
		PushId: strconv.FormatInt(res.PushID, 10), Requested: int32(res.Requested), Devices: int32(res.Devices),
		Accepted: int32(res.Accepted), Failed: int32(res.Failed), CreatedAt: res.CreatedAt,
	}}), nil
}
