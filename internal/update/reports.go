package update

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
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
	if errors.Is(err, postgres.ErrNotFound) {
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
	var halted *HaltEvent
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		r, err := q.CountRnDeploy(ctx, db.CountRnDeployParams{DeploymentID: d.ID, Label: label, Succeeded: succeeded})
		if errors.Is(err, postgres.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fault.Wrap(err, "count deploy")
		}
		if succeeded {
			return nil
		}
		halted, err = haltIfCrossed(ctx, q, haltScope{appID: d.AppID, tenantID: d.TenantID, appKey: d.AppKey, deployment: d.Name}, r)
		return err
	})
	if err == nil && halted != nil {
		s.haltedReleases(ctx, d.AppID, []HaltEvent{*halted})
	}
	return err
}

// haltScope is what a halt's audit entry says of the release's app and deployment.
type haltScope struct {
	appID, tenantID    int64
	appKey, deployment string
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

// haltedReleases follows committed halts: the index forgets the releases, Config.Halts hears
// of them.
func (s *Service) haltedReleases(ctx context.Context, appID int64, events []HaltEvent) {
	s.releasesChanged(ctx, appID, 0)
	if s.cfg.Halts != nil {
		for _, e := range events {
			s.cfg.Halts.ReleaseHalted(ctx, appID, e)
		}
	}
}

// haltIfCrossed halts a release whose counts (just taken under its row's lock) pass the app's
// policy, and records it in the audit log, inside the caller's transaction; it returns the
// halt, nil when none.
func haltIfCrossed(ctx context.Context, q *db.Queries, h haltScope, r db.RnRelease) (*HaltEvent, error) {
	if r.Disabled {
		return nil, nil
	}
	policy, err := haltPolicy(ctx, q, h.appID)
	if err != nil || !policy.crossed(r) {
		return nil, err
	}
	if _, err := q.HaltRnRelease(ctx, r.ID); err != nil {
		return nil, fault.Wrap(err, "halt release")
	}
	e := &HaltEvent{ReleaseID: r.ID, Deployment: h.deployment, Label: r.Label, Installs: r.Installs, Failures: r.Failures,
		MinReports: policy.MinReports, MaxFailurePercent: policy.MaxFailurePercent}
	return e, audit.Record(ctx, q, nil, audit.Entry{
		Action: "rn.release.halt", TenantID: h.tenantID, TargetType: "rn_release", TargetID: r.ID,
		Detail: map[string]any{
			"appId": h.appKey, "deployment": h.deployment, "label": r.Label, "installs": r.Installs, "failures": r.Failures,
			"minReports": policy.MinReports, "maxFailurePercent": policy.MaxFailurePercent,
		},
	})
}

// maxExpoFailedIDs bounds the failed update ids read from one request.
const maxExpoFailedIDs = 10

// recordExpoReports counts what an Expo client's manifest request reports, once per install
// (eas-client-id) and release: each update of the deployment it names in
// expo-recent-failed-update-ids as a failed install, the update it runs (expo-current-update-id)
// as a successful one. A failure that passes the app's policy halts the release before the
// request is answered. Requests without an install id report nothing.
func (s *Service) recordExpoReports(ctx context.Context, a app, d db.RnDeployment, r ExpoRequest) error {
	if r.ClientID == "" || len(r.ClientID) > 128 {
		return nil
	}
	failed := map[uuid.UUID]bool{}
	for i, s := range r.FailedUpdateIDs {
		if i == maxExpoFailedIDs {
			break
		}
		if id, ok := parseUpdateID(s); ok {
			failed[id] = true
		}
	}
	reports := map[uuid.UUID]bool{} // update id → failed
	for id := range failed {
		reports[id] = true
	}
	if id, ok := parseUpdateID(r.CurrentUpdateID); ok && !failed[id] && !strings.EqualFold(r.CurrentUpdateID, r.EmbeddedUpdateID) {
		reports[id] = false
	}
	var halted []HaltEvent
	for id, fail := range reports {
		rel, err := s.q.GetRnReleaseByExpoUpdateID(ctx, db.GetRnReleaseByExpoUpdateIDParams{ExpoUpdateID: id, AppID: a.ID})
		if errors.Is(err, postgres.ErrNotFound) || (err == nil && rel.DeploymentID != d.ID) {
			continue // an update of another deployment, or none of ours
		}
		if err != nil {
			return fault.Wrap(err, "load release")
		}
		err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
			q := postgres.Queries(tx)
			var installs, successes, failures int64
			wasFailure, err := q.InsertRnExpoReport(ctx, db.InsertRnExpoReportParams{ReleaseID: rel.ID, ClientID: r.ClientID, Failed: fail})
			switch {
			case err == nil && wasFailure:
				installs, failures = 1, 1
			case err == nil:
				installs, successes = 1, 1
			case !errors.Is(err, postgres.ErrNotFound):
				return fault.Wrap(err, "record report")
			case !fail:
				return nil // reported already
			default:
				// Launched before, failed now: its success becomes a failure.
				n, err := q.MarkRnExpoReportFailed(ctx, db.MarkRnExpoReportFailedParams{ReleaseID: rel.ID, ClientID: r.ClientID})
				if err != nil || n == 0 {
					return fault.Wrap(err, "record report")
				}
				successes, failures = -1, 1
			}
			counted, err := q.CountRnReleaseOutcome(ctx, db.CountRnReleaseOutcomeParams{ID: rel.ID, Installs: installs, Successes: successes, Failures: failures})
			if err != nil {
				return fault.Wrap(err, "count report")
			}
			if failures <= 0 {
				return nil
			}
			h, err := haltIfCrossed(ctx, q, haltScope{appID: a.ID, tenantID: a.TenantID, appKey: a.Key, deployment: d.Name}, counted)
			if h != nil {
				halted = append(halted, *h)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if len(halted) > 0 {
		s.haltedReleases(ctx, a.ID, halted)
	}
	return nil
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
