package update

import (
	"context"
	"errors"

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
	halted := false
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		r, err := q.CountRnDeploy(ctx, db.CountRnDeployParams{DeploymentID: d.ID, Label: label, Succeeded: succeeded})
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
		halted = true
		return audit.Record(ctx, q, nil, audit.Entry{
			Action: "rn.release.halt", TenantID: d.TenantID, TargetType: "rn_release", TargetID: r.ID,
			Detail: map[string]any{
				"appId": d.AppKey, "deployment": d.Name, "label": r.Label, "installs": r.Installs, "failures": r.Failures,
				"minReports": policy.MinReports, "maxFailurePercent": policy.MaxFailurePercent,
			},
		})
	})
	if err == nil && halted {
		s.releasesChanged(ctx, d.AppID, 0)
	}
	return err
}
