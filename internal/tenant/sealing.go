package tenant

import (
	"context"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// SealStoredSecrets seals the AppSecrets and service keys still stored in plaintext (rows
// written before sealing existed, or by an older instance); it returns how many it sealed. A
// row rotated meanwhile is left to its new, sealed value. Nothing happens without Secrets.
func (s *Service) SealStoredSecrets(ctx context.Context) (int, error) {
	if s.secrets == nil {
		return 0, nil
	}
	apps, err := s.q.ListUnsealedAppSecrets(ctx)
	if err != nil {
		return 0, fault.Wrap(err, "list plaintext app secrets")
	}
	for _, a := range apps {
		sealed := s.secrets.Seal(a.AppSecret, auth.AppSecretAAD(a.AppKey))
		if err := s.q.SealAppSecret(ctx, db.SealAppSecretParams{ID: a.ID, Sealed: sealed, Plain: a.AppSecret}); err != nil {
			return 0, fault.Wrap(err, "seal app secret")
		}
	}
	keys, err := s.q.ListUnsealedServiceKeys(ctx)
	if err != nil {
		return 0, fault.Wrap(err, "list plaintext service keys")
	}
	for _, k := range keys {
		sealed := s.secrets.Seal(k.SecretKey, auth.ServiceKeyAAD(k.AppID, k.ServiceType))
		if err := s.q.SealAppServiceKey(ctx, db.SealAppServiceKeyParams{ID: k.ID, Sealed: sealed, Plain: k.SecretKey}); err != nil {
			return 0, fault.Wrap(err, "seal service key")
		}
	}
	return len(apps) + len(keys), nil
}
