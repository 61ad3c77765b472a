package httpapi

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/webhook"
)

// The app's webhooks (auth app-admin); internal/webhook keeps and delivers them.

func apiWebhook(w webhook.Webhook) api.Webhook {
	events := make([]api.WebhookEvent, len(w.Events))
	for i, e := range w.Events {
		events[i] = api.WebhookEvent(e)
	}
	return api.Webhook{Id: w.ID, Url: w.URL, Events: events, Enabled: w.Enabled, BeforeSend: w.BeforeSend, BeforeSendTimeoutMs: w.BeforeSendTimeoutMs,
		OnTimeout: api.WebhookTimeoutAction(w.OnTimeout), Secret: w.Secret, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func eventNames(events *[]api.WebhookEvent) *[]string {
	if events == nil {
		return nil
	}
	out := make([]string, len(*events))
	for i, e := range *events {
		out[i] = string(e)
	}
	return &out
}

func timeoutAction(a *api.WebhookTimeoutAction) *string {
	if a == nil {
		return nil
	}
	s := string(*a)
	return &s
}

func (s *Server) CreateWebhook(ctx context.Context, req api.CreateWebhookRequestObject) (api.CreateWebhookResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	w, err := s.webhooks.Create(ctx, a, webhook.Change{URL: &b.Url, Events: eventNames(&b.Events), Enabled: b.Enabled, BeforeSend: b.BeforeSend,
		BeforeSendTimeoutMs: b.BeforeSendTimeoutMs, OnTimeout: timeoutAction(b.OnTimeout)})
	if err != nil {
		return nil, err
	}
	return success[api.CreateWebhook200JSONResponse](apiWebhook(w)), nil
}

func (s *Server) ListWebhooks(ctx context.Context, req api.ListWebhooksRequestObject) (api.ListWebhooksResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.webhooks.List(ctx, a)
	if err != nil {
		return nil, err
	}
	// An app has at most webhook.MaxPerApp of them: the page is cut from the whole list.
	return successPage[api.ListWebhooks200JSONResponse](page.Slice(page.New(req.Params.Page, req.Params.Size), ws), apiWebhook), nil
}

func (s *Server) UpdateWebhook(ctx context.Context, req api.UpdateWebhookRequestObject) (api.UpdateWebhookResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := needBody(req.Body); err != nil {
		return nil, err
	}
	b := req.Body
	w, err := s.webhooks.Update(ctx, a, req.Id, webhook.Change{URL: b.Url, Events: eventNames(b.Events), Enabled: b.Enabled, BeforeSend: b.BeforeSend,
		BeforeSendTimeoutMs: b.BeforeSendTimeoutMs, OnTimeout: timeoutAction(b.OnTimeout), RotateSecret: imValue(b.RotateSecret)})
	if err != nil {
		return nil, err
	}
	return success[api.UpdateWebhook200JSONResponse](apiWebhook(w)), nil
}

func (s *Server) DeleteWebhook(ctx context.Context, req api.DeleteWebhookRequestObject) (api.DeleteWebhookResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.webhooks.Delete(ctx, a, req.Id); err != nil {
		return nil, err
	}
	return successEmpty[api.DeleteWebhook200JSONResponse](), nil
}

func (s *Server) ListWebhookDeliveries(ctx context.Context, req api.ListWebhookDeliveriesRequestObject) (api.ListWebhookDeliveriesResponseObject, error) {
	a, err := imAdmin(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.webhooks.Attempts(ctx, a, req.Id, page.New(req.Params.Page, req.Params.Size))
	if err != nil {
		return nil, err
	}
	return successPage[api.ListWebhookDeliveries200JSONResponse](p, apiWebhookDelivery), nil
}

func apiWebhookDelivery(d webhook.Attempt) api.WebhookDelivery {
	return api.WebhookDelivery{Id: d.ID, DeliveryId: d.DeliveryID, Event: api.WebhookEvent(d.Event), Attempt: d.Attempt, Success: d.Success,
		HttpStatus: d.HTTPStatus, Error: d.Error, DurationMs: d.DurationMs, CreatedAt: d.CreatedAt}
}
