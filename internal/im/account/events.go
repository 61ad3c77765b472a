package account

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// How an account came to be, as account.created says.
const (
	sourceLogin  = "LOGIN"
	sourceImport = "IMPORT"
)

func createdEvent(appID int64, userID, source string) im.AppEvent {
	return im.AppEvent{AppID: appID, Event: im.WebhookAccountCreated, Data: map[string]any{"userId": userID, "source": source}}
}

// wants tells whether a webhook of the app wants event (see im.Notifier).
func (s *Service) wants(ctx context.Context, appID int64, event string) bool {
	return s.opts.Events != nil && s.opts.Events.Wants(ctx, appID, event)
}

// queue queues events for the app's webhooks in tx.
func (s *Service) queue(ctx context.Context, tx pgx.Tx, events []im.AppEvent) error {
	if s.opts.Events == nil || len(events) == 0 {
		return nil
	}
	return s.opts.Events.NotifyTx(ctx, tx, events)
}

// insertOnLogin creates the account of a first login (postgres.ErrNotFound when it exists), with
// its account.created delivery in the same transaction when a webhook wants one.
func (s *Service) insertOnLogin(ctx context.Context, appID int64, userID string) error {
	p := db.InsertImAccountParams{AppID: appID, UserID: userID, Extra: []byte(`{}`)}
	if !s.wants(ctx, appID, im.WebhookAccountCreated) {
		_, err := s.q.InsertImAccount(ctx, p)
		return err
	}
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := postgres.Queries(tx).InsertImAccount(ctx, p); err != nil {
			return err
		}
		return s.queue(ctx, tx, []im.AppEvent{createdEvent(appID, userID, sourceLogin)})
	})
}

// deleteAccount deletes a live account (0 rows: none), with its account.deleted delivery in
// the same transaction when a webhook wants one.
func (s *Service) deleteAccount(ctx context.Context, p db.DeleteImAccountParams) (int64, error) {
	if !s.wants(ctx, p.AppID, im.WebhookAccountDeleted) {
		return s.q.DeleteImAccount(ctx, p)
	}
	var n int64
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if n, err = postgres.Queries(tx).DeleteImAccount(ctx, p); err != nil || n == 0 {
			return err
		}
		return s.queue(ctx, tx, []im.AppEvent{{AppID: p.AppID, Event: im.WebhookAccountDeleted, Data: map[string]any{"userId": p.UserID}}})
	})
	return n, err
}
