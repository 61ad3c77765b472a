// Package update is the update service: native app versions (APKs, App Store links) and React
// Native bundles, each released through DRAFT → PUBLISHED ⇄ WITHDRAWN with a staged rollout,
// and the check routes that every app launch hits, answered from an in-memory index.
package update

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

// Release states.
const (
	Draft     = "DRAFT"
	Published = "PUBLISHED"
	Withdrawn = "WITHDRAWN"
)

// Platforms.
const (
	Android = "ANDROID"
	IOS     = "IOS"
)

// Config are the service's settings.
type Config struct {
	MaxBytes int64 // XUQM_UPDATE_MAX_BYTES: larger APKs and bundles get 413
	// RefreshAfter is how old an app's index entry may get before a check refreshes it in the
	// background: the bound on staleness when another instance changed a release and no
	// invalidation arrived. Zero means 30 seconds.
	RefreshAfter time.Duration
	// Box seals the apps' signing keys at rest; without one, signing keys cannot be made.
	Box *secret.Box
	// Jobs queues background work (the patches of each new release); nil: releases get no
	// patches and clients download whole bundles.
	Jobs jobs.Inserter
	// Notifier tells the other instances of changed releases; nil on a single instance.
	Notifier Notifier
	// Halts is told of the releases the crash-aware rollout stops (the app's webhooks); nil
	// tells no one beyond the audit log.
	Halts Halts
}

// Notifier tells the other instances that an app's releases changed, so that they call
// Invalidate.
type Notifier interface {
	ReleasesChanged(ctx context.Context, appID int64)
}

// Halts is told, after the commit, of each release the crash-aware rollout stops.
type Halts interface {
	ReleaseHalted(ctx context.Context, appID int64, e HaltEvent)
}

// Service manages releases and answers checks.
type Service struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	blobs    blob.Store
	cfg      Config
	notifier Notifier
	index    *index
	jobs     jobs.Inserter // nil: no background work (patches)
}

// New returns the service.
func New(pool *pgxpool.Pool, blobs blob.Store, cfg Config) *Service {
	if cfg.RefreshAfter <= 0 {
		cfg.RefreshAfter = 30 * time.Second
	}
	s := &Service{pool: pool, q: postgres.Queries(pool), blobs: blobs, cfg: cfg, notifier: cfg.Notifier, jobs: cfg.Jobs}
	s.index = newIndex(s.loadReleases, cfg.RefreshAfter)
	return s
}

// Invalidate forgets what the index knows of appID's releases; the next check loads them
// again. The event bus calls it when another instance changed a release.
func (s *Service) Invalidate(appID int64) { s.index.forget(appID) }

// changed brings this instance's index up to date after a change and tells the others.
func (s *Service) changed(ctx context.Context, appID int64) {
	s.index.reload(ctx, appID)
	if s.notifier != nil {
		s.notifier.ReleasesChanged(ctx, appID)
	}
}

// app is the app a management call acts on.
type app struct {
	ID       int64
	TenantID int64
	Key      string
}

// appByKey resolves the app named in a management call and checks that p may manage it: its
// owner's accounts (the gate has refused VIEWERs' writes), an operator, or its own back end.
func (s *Service) appByKey(ctx context.Context, p *auth.Principal, key string) (app, error) {
	row, err := s.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: "UPDATE", AppKey: key})
	if errors.Is(err, postgres.ErrNotFound) {
		return app{}, fault.NotFoundf("no app has the key %s", key)
	}
	if err != nil {
		return app{}, fault.Wrap(err, "load app")
	}
	a := app{ID: row.ID, TenantID: row.TenantID, Key: row.AppKey}
	if err := authorize(p, a); err != nil {
		return app{}, err
	}
	return a, usable(p, a.Key, row.TenantStatus, row.ServiceEnabled)
}

// appByID is appByKey for a release found by id: a release of an app p may not manage is,
// to p, no release at all.
func (s *Service) appByID(ctx context.Context, p *auth.Principal, id int64, what string, releaseID int64) (app, error) {
	row, err := s.q.GetAppForUpdate(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) || (err == nil && row.DeletedAt != nil) {
		return app{}, fault.NotFoundf("no %s has the id %d", what, releaseID)
	}
	if err != nil {
		return app{}, fault.Wrap(err, "load app")
	}
	a := app{ID: row.ID, TenantID: row.TenantID, Key: row.AppKey}
	if authorize(p, a) != nil {
		return app{}, fault.NotFoundf("no %s has the id %d", what, releaseID)
	}
	return a, usable(p, a.Key, row.TenantStatus, row.ServiceEnabled)
}

func authorize(p *auth.Principal, a app) error {
	switch p.Kind {
	case auth.KindOps:
		return nil
	case auth.KindAppServer:
		if p.App != nil && p.App.ID == a.ID {
			return nil
		}
		return fault.Forbiddenf("the request is signed for app %s, not %s", appKeyOf(p), a.Key)
	case auth.KindTenant:
		if p.CanManageApp(a.TenantID) {
			return nil
		}
		return fault.Forbiddenf("app %s belongs to another tenant", a.Key)
	}
	return fault.Forbiddenf("managing updates takes a tenant token, an operator token or the app server's signature")
}

func appKeyOf(p *auth.Principal) string {
	if p.App == nil {
		return "(none)"
	}
	return p.App.Key
}

// usable holds the tenant's and the service's switches; operators may still act on a disabled
// tenant's app.
func usable(p *auth.Principal, key, tenantStatus string, serviceEnabled *bool) error {
	if tenantStatus != "ENABLED" && p.Kind != auth.KindOps {
		return fault.Forbiddenf("the tenant of app %s is disabled", key)
	}
	if serviceEnabled == nil || !*serviceEnabled {
		return fault.Forbiddenf("the UPDATE service is disabled for app %s", key)
	}
	return nil
}

// Upload is the file part of an upload form, streamed.
type Upload struct {
	Name string
	Body io.Reader
}

// stage streams an upload into the blob store's staging area; the caller commits or discards.
func (s *Service) stage(ctx context.Context, up *Upload) (*blob.Staged, error) {
	staged, err := s.blobs.Stage(ctx, up.Body, s.cfg.MaxBytes)
	if err != nil {
		var tooLarge *blob.TooLargeError
		var source *blob.SourceError
		switch {
		case errors.As(err, &tooLarge):
			return nil, fault.TooLargef("the file is larger than %d bytes, the limit (XUQM_UPDATE_MAX_BYTES)", s.cfg.MaxBytes)
		case errors.As(err, &source):
			return nil, fault.InvalidField("file", "the upload could not be read: %v", source.Err)
		}
		return nil, fault.Wrap(err, "stage upload")
	}
	if staged.Size == 0 {
		staged.Discard()
		return nil, fault.InvalidField("file", "is empty")
	}
	return staged, nil
}

// store streams an upload into the blob store and commits it under its hash.
func (s *Service) store(ctx context.Context, up *Upload) (sha string, size int64, err error) {
	staged, err := s.stage(ctx, up)
	if err != nil {
		return "", 0, err
	}
	defer staged.Discard()
	if err := staged.Commit(ctx, blob.ContentKey(staged.SHA256)); err != nil {
		return "", 0, fault.Wrap(err, "store upload")
	}
	return staged.SHA256, staged.Size, nil
}

// storedBundle is what storing a bundle learnt of it.
type storedBundle struct {
	sha256, packageHash string
	size                int64
	expo                *expoExport // when the zip is an Expo export
	signed              bool        // a CodePush zip that got the app's .codepushrelease
	zip                 bool
}

// storeBundle is store for a bundle, which also gets its CodePush package hash while staged
// and, when it is an Expo export, stores the platform's files of the update one by one. With
// a signer, a CodePush zip is stored with its .codepushrelease added.
func (s *Service) storeBundle(ctx context.Context, up *Upload, platform string, signer *appSigner) (storedBundle, error) {
	staged, err := s.stage(ctx, up)
	if err != nil {
		return storedBundle{}, err
	}
	defer staged.Discard()
	out := storedBundle{sha256: staged.SHA256, size: staged.Size, packageHash: staged.SHA256}
	r, err := staged.Reader()
	if err != nil {
		return storedBundle{}, fault.Wrap(err, "read staged bundle")
	}
	if ra, ok := r.(io.ReaderAt); ok {
		switch h, err := PackageHash(ra, staged.Size); {
		case err == nil:
			out.packageHash, out.zip = h, true
			if out.expo, err = s.storeExpoExport(ctx, ra, staged.Size, platform); err != nil {
				return storedBundle{}, err
			}
			if out.expo == nil && signer != nil {
				jwt, err := signer.codePushReleaseJWT(h, time.Now())
				if err != nil {
					return storedBundle{}, fault.Wrap(err, "sign release")
				}
				signed, err := s.signZip(ctx, ra, staged.Size, jwt)
				if err != nil {
					return storedBundle{}, err
				}
				defer signed.Discard()
				staged, out.signed, out.sha256, out.size = signed, true, signed.SHA256, signed.Size
			}
		case !errors.Is(err, errNotZip):
			return storedBundle{}, fault.InvalidField("file", "is a zip that cannot be read: %v", err)
		}
	}
	if err := staged.Commit(ctx, blob.ContentKey(staged.SHA256)); err != nil {
		return storedBundle{}, fault.Wrap(err, "store upload")
	}
	return out, nil
}
