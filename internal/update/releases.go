package update

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Release is a bundle released into a deployment under a label.
type Release struct {
	ID, DeploymentID, BundleID               int64
	Deployment                               string
	Label, TargetBinaryRange, Description    string
	Mandatory, Disabled                      bool
	RolloutPercent                           int32
	HaltedAt                                 *time.Time
	PromotedFrom                             *int64
	PackageHash                              string
	Size                                     int64
	Downloads, Installs, Successes, Failures int64
	CreatedAt                                time.Time
	ExpoUpdateID                             uuid.UUID
	RuntimeVersion                           *string
	Expo, Signed                             bool // an Expo export; a zip with the app's signature
}

func releaseOf(r db.RnRelease, deployment, packageHash string, size int64, expo, signed bool) Release {
	return Release{
		ExpoUpdateID: r.ExpoUpdateID, RuntimeVersion: r.RuntimeVersion, Expo: expo, Signed: signed,
		ID: r.ID, DeploymentID: r.DeploymentID, BundleID: r.BundleID, Deployment: deployment, Label: r.Label,
		TargetBinaryRange: r.TargetBinaryRange, Description: r.Description, Mandatory: r.Mandatory, Disabled: r.Disabled,
		RolloutPercent: r.RolloutPercent, HaltedAt: r.HaltedAt, PromotedFrom: r.PromotedFrom, PackageHash: packageHash,
		Size: size, Downloads: r.Downloads, Installs: r.Installs, Successes: r.Successes, Failures: r.Failures, CreatedAt: r.CreatedAt,
	}
}

// addRelease puts a bundle into a deployment under its next label, inside the caller's
// transaction; the deployment's lock makes labels gapless and unique.
func addRelease(ctx context.Context, q *db.Queries, d db.RnDeployment, arg db.InsertRnReleaseParams) (Release, error) {
	if _, err := q.LockRnDeployment(ctx, d.ID); err != nil {
		return Release{}, fault.Wrap(err, "lock deployment")
	}
	n, err := q.TakeRnDeploymentLabel(ctx, d.ID)
	if err != nil {
		return Release{}, fault.Wrap(err, "take label")
	}
	arg.DeploymentID, arg.Label = d.ID, "v"+strconv.Itoa(int(n))
	row, err := q.InsertRnRelease(ctx, arg)
	if err != nil {
		return Release{}, fault.Wrap(err, "insert release")
	}
	return loadRelease(ctx, q, row.ID)
}

func loadRelease(ctx context.Context, q *db.Queries, id int64) (Release, error) {
	r, err := q.GetRnRelease(ctx, id)
	if err != nil {
		return Release{}, fault.Wrap(err, "load release")
	}
	return releaseOf(r.RnRelease, r.Deployment, r.PackageHash, r.Size, r.Expo, r.Signed), nil
}

// releasesChanged is the hook for what follows a new release (patches, caches).
func (s *Service) releasesChanged(ctx context.Context, appID, releaseID int64) {}

// ListReleases pages through a deployment's releases, newest first.
func (s *Service) ListReleases(ctx context.Context, p *auth.Principal, deploymentID int64, r page.Request) (page.Page[Release], error) {
	if _, _, err := s.deployment(ctx, p, deploymentID); err != nil {
		return page.Page[Release]{}, err
	}
	total, err := s.q.CountRnReleases(ctx, deploymentID)
	if err != nil {
		return page.Page[Release]{}, fault.Wrap(err, "count releases")
	}
	rows, err := s.q.ListRnReleases(ctx, db.ListRnReleasesParams{DeploymentID: deploymentID, Lim: r.Limit(), Off: r.Offset()})
	if err != nil {
		return page.Page[Release]{}, fault.Wrap(err, "list releases")
	}
	out := make([]Release, len(rows))
	for i, row := range rows {
		out[i] = releaseOf(row.RnRelease, row.Deployment, row.PackageHash, row.Size, row.Expo, row.Signed)
	}
	return page.Of(r, out, total), nil
}

// ReleaseChange are the fields of a release to change; nil leaves one as it is.
type ReleaseChange struct {
	Disabled, Mandatory *bool
	Description         *string
	RolloutPercent      *int32
	TargetBinaryRange   *string
}

func (c ReleaseChange) check() error {
	if c.RolloutPercent != nil && (*c.RolloutPercent < 0 || *c.RolloutPercent > 100) {
		return fault.InvalidField("rolloutPercent", "must be from 0 to 100")
	}
	if c.Description != nil && len([]rune(*c.Description)) > maxTextLen {
		return fault.InvalidField("description", "is longer than %d characters", maxTextLen)
	}
	if c.TargetBinaryRange != nil {
		r, err := parseBinaryRange(*c.TargetBinaryRange)
		if err != nil {
			return fault.InvalidField("targetBinaryRange", "%v", err)
		}
		*c.TargetBinaryRange = r.text
	}
	return nil
}

// UpdateRelease changes a release's fields.
func (s *Service) UpdateRelease(ctx context.Context, p *auth.Principal, id int64, c ReleaseChange) (Release, error) {
	if err := c.check(); err != nil {
		return Release{}, err
	}
	r, err := s.q.GetRnRelease(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return Release{}, fault.NotFoundf("no release has the id %d", id)
	}
	if err != nil {
		return Release{}, fault.Wrap(err, "load release")
	}
	a, err := s.appByID(ctx, p, r.AppID, "release", id)
	if err != nil {
		return Release{}, err
	}
	if _, err := s.q.UpdateRnRelease(ctx, db.UpdateRnReleaseParams{
		ID: id, Disabled: c.Disabled, Mandatory: c.Mandatory, Description: c.Description,
		RolloutPercent: c.RolloutPercent, TargetBinaryRange: c.TargetBinaryRange,
	}); err != nil {
		return Release{}, fault.Wrap(err, "change release")
	}
	s.releasesChanged(ctx, a.ID, id)
	return loadRelease(ctx, s.q, id)
}

// Promote copies a release of one deployment (label, or the newest) into another deployment of
// the same module; the fields of c replace the copied ones.
func (s *Service) Promote(ctx context.Context, p *auth.Principal, fromID int64, to string, label *string, c ReleaseChange) (Release, error) {
	if err := c.check(); err != nil {
		return Release{}, err
	}
	from, a, err := s.deployment(ctx, p, fromID)
	if err != nil {
		return Release{}, err
	}
	target, err := s.q.GetRnDeploymentByName(ctx, db.GetRnDeploymentByNameParams{AppID: from.AppID, Platform: from.Platform, ModuleID: from.ModuleID, Name: to})
	if errors.Is(err, postgres.ErrNotFound) {
		return Release{}, fault.NotFoundf("module %s has no %s deployment %s", from.ModuleID, from.Platform, to)
	}
	if err != nil {
		return Release{}, fault.Wrap(err, "load deployment")
	}
	if target.ID == from.ID {
		return Release{}, fault.InvalidField("toDeployment", "must be another deployment than %s", from.Name)
	}
	var src db.RnRelease
	if label != nil {
		src, err = s.q.GetRnReleaseByLabel(ctx, db.GetRnReleaseByLabelParams{DeploymentID: from.ID, Label: *label})
	} else {
		src, err = s.q.LatestRnRelease(ctx, from.ID)
	}
	if errors.Is(err, postgres.ErrNotFound) {
		return Release{}, fault.NotFoundf("deployment %s has no release to promote", from.Name)
	}
	if err != nil {
		return Release{}, fault.Wrap(err, "load release")
	}
	arg := db.InsertRnReleaseParams{
		BundleID: src.BundleID, TargetBinaryRange: pick(c.TargetBinaryRange, src.TargetBinaryRange),
		Mandatory: pick(c.Mandatory, src.Mandatory), Description: pick(c.Description, src.Description),
		RolloutPercent: pick(c.RolloutPercent, 100), Disabled: pick(c.Disabled, false), PromotedFrom: &src.ID,
		RuntimeVersion: src.RuntimeVersion,
	}
	var out Release
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if out, err = addRelease(ctx, postgres.Queries(tx), target, arg); err != nil {
			return err
		}
		return s.queuePatches(ctx, tx, out.ID)
	})
	if err != nil {
		return Release{}, err
	}
	s.releasesChanged(ctx, a.ID, out.ID)
	return out, nil
}

func pick[T any](v *T, def T) T {
	if v != nil {
		return *v
	}
	return def
}
