package update

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/audit"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// HaltPolicy is an app's crash-aware rollout: a release with at least MinReports deploy
// reports of which more than MaxFailurePercent percent are failures is disabled.
type HaltPolicy struct {
	Enabled                       bool
	MinReports, MaxFailurePercent int32
}

// DefaultHaltPolicy holds for apps that never set one.
var DefaultHaltPolicy = HaltPolicy{Enabled: true, MinReports: 50, MaxFailurePercent: 20}

func (h HaltPolicy) crossed(r db.RnRelease) bool {
	return h.Enabled && r.Installs >= int64(h.MinReports) && r.Failures*100 > int64(h.MaxFailurePercent)*r.Installs
}

func haltPolicy(ctx context.Context, q *db.Queries, appID int64) (HaltPolicy, error) {
	row, err := q.GetRnHaltPolicy(ctx, appID)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultHaltPolicy, nil
	}
	if err != nil {
		return HaltPolicy{}, fault.Wrap(err, "load halt policy")
	}
	return HaltPolicy{Enabled: row.Enabled, MinReports: row.MinReports, MaxFailurePercent: row.MaxFailurePercent}, nil
}

// GetHaltPolicy returns an app's crash-aware rollout policy.
func (s *Service) GetHaltPolicy(ctx context.Context, p *auth.Principal, appKey string) (HaltPolicy, error) {
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return HaltPolicy{}, err
	}
	return haltPolicy(ctx, s.q, a.ID)
}

// SetHaltPolicy replaces an app's crash-aware rollout policy.
func (s *Service) SetHaltPolicy(ctx context.Context, p *auth.Principal, appKey string, h HaltPolicy) (HaltPolicy, error) {
	if h.MinReports < 1 || h.MinReports > 1_000_000 {
		return HaltPolicy{}, fault.InvalidField("minReports", "must be from 1 to 1000000")
	}
	if h.MaxFailurePercent < 1 || h.MaxFailurePercent > 100 {
		return HaltPolicy{}, fault.InvalidField("maxFailurePercent", "must be from 1 to 100")
	}
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return HaltPolicy{}, err
	}
	row, err := s.q.UpsertRnHaltPolicy(ctx, db.UpsertRnHaltPolicyParams{AppID: a.ID, Enabled: h.Enabled, MinReports: h.MinReports, MaxFailurePercent: h.MaxFailurePercent})
	if err != nil {
		return HaltPolicy{}, fault.Wrap(err, "store halt policy")
	}
	return HaltPolicy{Enabled: row.Enabled, MinReports: row.MinReports, MaxFailurePercent: row.MaxFailurePercent}, nil
}

// ReportDownload counts a client's download of the release label of the key's deployment; a
// label the deployment does not have is not counted.
func (s *Service) ReportDownload(ctx context.Context, deploymentKey, label string) error {
	d, err := s.deploymentByKey(ctx, deploymentKey)
	if err != nil {
		return err
	}
	if label == "" {
		return nil
	}
	_, err = s.q.CountRnDownload(ctx, db.CountRnDownloadParams{DeploymentID: d.ID, Label: label})
	return fault.Wrap(err, "count download")
}

// ReportDeploy counts an install of the release label (succeeded, or failed and rolled back)
// and halts the release in the same transaction when this report takes its failures past the
// app's policy, so that it stops at the first report over the line.
func (s *Service) ReportDeploy(ctx context.Context, deploymentKey, label string, succeeded bool) error {
	d, err := s.deploymentByKey(ctx, deploymentKey)
	if err != nil {
		return err
	}
	if label == "" {
		return nil // the binary's own bundle
	}
	return s.countDeploy(ctx, reportedDeployment{ID: d.ID, AppID: d.AppID, TenantID: d.TenantID, AppKey: d.AppKey, Name: d.Name},
		func(q *db.Queries) (db.RnRelease, error) {
			return q.CountRnDeploy(ctx, db.CountRnDeployParams{DeploymentID: d.ID, Label: label, Succeeded: succeeded})
		}, succeeded)
}

// ReportReleaseOutcome counts an install of a release named by id, for clients that name
// updates rather than labels (an Expo client's failed-update ids), with the same halt as
// ReportDeploy. An id that names no release is not counted.
func (s *Service) ReportReleaseOutcome(ctx context.Context, releaseID int64, succeeded bool) error {
	r, err := s.q.GetRnRelease(ctx, releaseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fault.Wrap(err, "load release")
	}
	d, err := s.q.GetRnDeployment(ctx, r.RnRelease.DeploymentID)
	if err != nil {
		return fault.Wrap(err, "load deployment")
	}
	a, err := s.q.GetAppForUpdate(ctx, d.AppID)
	if err != nil {
		return fault.Wrap(err, "load app")
	}
	return s.countDeploy(ctx, reportedDeployment{ID: d.ID, AppID: d.AppID, TenantID: a.TenantID, AppKey: a.AppKey, Name: d.Name},
		func(q *db.Queries) (db.RnRelease, error) {
			return q.CountRnDeployOfRelease(ctx, db.CountRnDeployOfReleaseParams{ID: releaseID, Succeeded: succeeded})
		}, succeeded)
}

// reportedDeployment is the deployment a report counts in.
type reportedDeployment struct {
	ID, AppID, TenantID int64
	AppKey, Name        string
}

// WebhookReleaseHalted is the webhook event of a release stopped by the crash-aware rollout.
const WebhookReleaseHalted = "rn.release.halted"

// HaltEvent says that the crash-aware rollout stopped a release (webhook rn.release.halted).
type HaltEvent struct {
	ReleaseID         int64  `json:"releaseId"`
	Deployment        string `json:"deployment"`
	Label             string `json:"label"`
	Installs          int64  `json:"installs"`
	Failures          int64  `json:"failures"`
	MinReports        int32  `json:"minReports"`
	MaxFailurePercent int32  `json:"maxFailurePercent"`
}

// OnHalt is told, after the commit, of each release the crash-aware rollout stops (the
// webhooks of the app); nil tells no one beyond the audit log.
func (s *Service) OnHalt(f func(ctx context.Context, appID int64, e HaltEvent)) { s.onHalt = f }

// countDeploy counts one deploy report with count, under the release row's lock, and halts
// the release in the same transaction when the report is a failure that takes it past the
// app's policy: the audit log says so, and after the commit OnHalt's hook.
func (s *Service) countDeploy(ctx context.Context, d reportedDeployment, count func(*db.Queries) (db.RnRelease, error), succeeded bool) error {
	var halted *HaltEvent
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		r, err := count(q)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fault.Wrap(err, "count deploy")
		}
		if succeeded || r.Disabled {
			return nil
		}
		policy, err := haltPolicy(ctx, q, d.AppID)
		if err != nil || !policy.crossed(r) {
			return err
		}
		if _, err := q.HaltRnRelease(ctx, r.ID); err != nil {
			return fault.Wrap(err, "halt release")
		}
		halted = &HaltEvent{ReleaseID: r.ID, Deployment: d.Name, Label: r.Label, Installs: r.Installs, Failures: r.Failures,
			MinReports: policy.MinReports, MaxFailurePercent: policy.MaxFailurePercent}
		return audit.Record(ctx, q, nil, audit.Entry{
			Action: "rn.release.halt", TenantID: d.TenantID, TargetType: "rn_release", TargetID: r.ID,
			Detail: map[string]any{
				"appId": d.AppKey, "deployment": d.Name, "label": r.Label, "installs": r.Installs, "failures": r.Failures,
				"minReports": policy.MinReports, "maxFailurePercent": policy.MaxFailurePercent,
			},
		})
	})
	if err == nil && halted != nil {
		s.releasesChanged(ctx, d.AppID, 0)
		if s.onHalt != nil {
			s.onHalt(ctx, d.AppID, *halted)
		}
	}
	return err
}

// Counts are what clients reported of a release or a deployment.
type Counts struct {
	Downloads, Installs, Successes, Failures int64
}

// ReleaseMetrics are one release's counts.
type ReleaseMetrics struct {
	Counts
	ReleaseID int64
	Label     string
	Disabled  bool
	HaltedAt  *time.Time
}

// DeploymentMetrics are a deployment's counts, in all and per release (the newest
// MaxMetricsReleases, newest first).
type DeploymentMetrics struct {
	Counts
	DeploymentID int64
	Deployment   string
	Releases     []ReleaseMetrics
}

// MaxMetricsReleases is how many releases DeploymentMetrics lists.
const MaxMetricsReleases = 100

// Metrics returns what clients reported of a deployment's releases.
func (s *Service) Metrics(ctx context.Context, p *auth.Principal, deploymentID int64) (DeploymentMetrics, error) {
	d, _, err := s.deployment(ctx, p, deploymentID)
	if err != nil {
		return DeploymentMetrics{}, err
	}
	t, err := s.q.RnDeploymentTotals(ctx, d.ID)
	if err != nil {
		return DeploymentMetrics{}, fault.Wrap(err, "count reports")
	}
	rows, err := s.q.ListRnReleaseMetrics(ctx, db.ListRnReleaseMetricsParams{DeploymentID: d.ID, Lim: MaxMetricsReleases})
	if err != nil {
		return DeploymentMetrics{}, fault.Wrap(err, "list releases")
	}
	out := DeploymentMetrics{DeploymentID: d.ID, Deployment: d.Name, Releases: make([]ReleaseMetrics, len(rows)),
		Counts: Counts{Downloads: t.Downloads, Installs: t.Installs, Successes: t.Successes, Failures: t.Failures}}
	for i, r := range rows {
		out.Releases[i] = ReleaseMetrics{ReleaseID: r.ID, Label: r.Label, Disabled: r.Disabled, HaltedAt: r.HaltedAt,
			Counts: Counts{Downloads: r.Downloads, Installs: r.Installs, Successes: r.Successes, Failures: r.Failures}}
	}
	return out, nil
}
