package update

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"regexp"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Deployment is a channel of a module's releases (Staging, Production, …) that CodePush and
// Expo clients reach with its key.
type Deployment struct {
	ID                   int64
	AppKey               string
	Platform, ModuleID   string
	Name                 string
	Key                  string // in full only when just made or rotated
	KeyHint              string
	CreatedAt, RotatedAt time.Time
}

// DefaultDeployments are made when a module's deployments are created without a name.
var DefaultDeployments = []string{"Staging", "Production"}

var deploymentNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func deploymentOf(row db.RnDeployment, appKey string) Deployment {
	return Deployment{
		ID: row.ID, AppKey: appKey, Platform: row.Platform, ModuleID: row.ModuleID, Name: row.Name,
		KeyHint: row.KeyHint, CreatedAt: row.CreatedAt, RotatedAt: row.KeyRotatedAt,
	}
}

// newDeploymentKey is a random key (dk_ and 32 URL-safe characters), its hash and its hint.
func newDeploymentKey() (key, hash, hint string) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	key = "dk_" + base64.RawURLEncoding.EncodeToString(b[:])
	return key, keyHash(key), key[len(key)-4:]
}

// CreateDeployments makes the named deployment of a module, or without a name the default ones
// it lacks, and returns those made with their keys.
func (s *Service) CreateDeployments(ctx context.Context, p *auth.Principal, appKey, platform, moduleID string, name *string) ([]Deployment, error) {
	if platform != Android && platform != IOS {
		return nil, fault.InvalidField("platform", "must be ANDROID or IOS")
	}
	if !moduleIDPattern.MatchString(moduleID) {
		return nil, fault.InvalidField("moduleId", "must be letters, digits, _, - and . (not first), at most 64")
	}
	names := DefaultDeployments
	if name != nil {
		if !deploymentNamePattern.MatchString(*name) {
			return nil, fault.InvalidField("name", "must be letters, digits, _, - and . (not first), at most 64")
		}
		names = []string{*name}
	}
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return nil, err
	}
	made := []Deployment{}
	for _, n := range names {
		key, hash, hint := newDeploymentKey()
		row, err := s.q.InsertRnDeployment(ctx, db.InsertRnDeploymentParams{AppID: a.ID, Platform: platform, ModuleID: moduleID, Name: n, KeyHash: hash, KeyHint: hint})
		if errors.Is(err, postgres.ErrNotFound) {
			if name != nil {
				return nil, fault.Conflictf("module %s of app %s already has a %s deployment %s", moduleID, a.Key, platform, n)
			}
			continue // a default deployment it has already
		}
		if err != nil {
			return nil, fault.Wrap(err, "insert deployment")
		}
		d := deploymentOf(row, a.Key)
		d.Key = key
		made = append(made, d)
	}
	return made, nil
}

// ListDeployments lists an app's deployments, without their keys.
func (s *Service) ListDeployments(ctx context.Context, p *auth.Principal, appKey string, platform, moduleID *string) ([]Deployment, error) {
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListRnDeployments(ctx, db.ListRnDeploymentsParams{AppID: a.ID, Platform: platform, ModuleID: moduleID})
	if err != nil {
		return nil, fault.Wrap(err, "list deployments")
	}
	out := make([]Deployment, len(rows))
	for i, r := range rows {
		out[i] = deploymentOf(r, a.Key)
	}
	return out, nil
}

// deployment loads a deployment p may manage; another app's is none to p.
func (s *Service) deployment(ctx context.Context, p *auth.Principal, id int64) (db.RnDeployment, app, error) {
	row, err := s.q.GetRnDeployment(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return row, app{}, fault.NotFoundf("no deployment has the id %d", id)
	}
	if err != nil {
		return row, app{}, fault.Wrap(err, "load deployment")
	}
	a, err := s.appByID(ctx, p, row.AppID, "deployment", id)
	return row, a, err
}

// RotateDeploymentKey gives a deployment a new key; the old one stops working at once.
func (s *Service) RotateDeploymentKey(ctx context.Context, p *auth.Principal, id int64) (Deployment, error) {
	_, a, err := s.deployment(ctx, p, id)
	if err != nil {
		return Deployment{}, err
	}
	key, hash, hint := newDeploymentKey()
	row, err := s.q.RotateRnDeploymentKey(ctx, db.RotateRnDeploymentKeyParams{ID: id, KeyHash: hash, KeyHint: hint})
	if err != nil {
		return Deployment{}, fault.Wrap(err, "rotate key")
	}
	d := deploymentOf(row, a.Key)
	d.Key = key
	return d, nil
}
