package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/Masterminds/semver/v3"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// CodePushCheck is an update check of a CodePush client.
type CodePushCheck struct {
	DeploymentKey, AppVersion string
	PackageHash, Label        string // of the release the client runs; empty on the binary's bundle
	ClientID                  string // client_unique_id, for rollouts
	IsCompanion               bool   // ignore the app version
}

// CodePushAnswer is what the check tells the client; DownloadPath and the release fields are
// set when IsAvailable.
type CodePushAnswer struct {
	IsAvailable, IsMandatory, UpdateAppVersion, ShouldRunBinaryVersion bool
	// TargetBinaryRange is the offered release's range, or the newest enabled release's when
	// UpdateAppVersion.
	TargetBinaryRange string
	AppVersion        string // the client's, as CodePush echoes it
	Label             string
	Description       string
	PackageHash       string
	PackageSize       int64
	DownloadPath      string
}

// codePushRelease is one release of a deployment as the check sees it.
type codePushRelease struct {
	ID                   int64
	Label, Description   string
	Range                binaryRange
	Mandatory, Disabled  bool
	RolloutPercent       int32
	PackageHash, Version string
	Size                 int64
}

// deploymentByKey resolves a client's deployment key and holds the app's switches.
func (s *Service) deploymentByKey(ctx context.Context, key string) (db.GetRnDeploymentByKeyRow, error) {
	row, err := s.q.GetRnDeploymentByKey(ctx, keyHash(key))
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return row, fault.NotFoundf("no deployment has this deployment key")
	case err != nil:
		return row, fault.Wrap(err, "load deployment")
	case row.TenantStatus != "ENABLED":
		return row, fault.Forbiddenf("the tenant of app %s is disabled", row.AppKey)
	case row.ServiceEnabled == nil || !*row.ServiceEnabled:
		return row, fault.Forbiddenf("the UPDATE service is disabled for app %s", row.AppKey)
	}
	return row, nil
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CheckCodePush answers a CodePush update check from the deployment's releases.
func (s *Service) CheckCodePush(ctx context.Context, c CodePushCheck) (CodePushAnswer, error) {
	v, err := parseAppVersion(c.AppVersion)
	if err != nil {
		return CodePushAnswer{}, fault.InvalidField("app_version", "%v", err)
	}
	d, err := s.deploymentByKey(ctx, c.DeploymentKey)
	if err != nil {
		return CodePushAnswer{}, err
	}
	requireSigned, err := s.requiresSigned(ctx, d.AppID)
	if err != nil {
		return CodePushAnswer{}, err
	}
	rows, err := s.q.ListRnReleaseHistory(ctx, d.ID)
	if err != nil {
		return CodePushAnswer{}, fault.Wrap(err, "load releases")
	}
	history := make([]codePushRelease, 0, len(rows))
	for _, r := range rows {
		if r.Expo || (requireSigned && !r.Signed) {
			continue // an Expo export, which CodePush clients cannot run; an unsigned release
		}
		br, _ := parseBinaryRange(r.TargetBinaryRange) // checked when stored
		history = append(history, codePushRelease{
			ID: r.ID, Label: r.Label, Description: r.Description, Range: br, Mandatory: r.Mandatory,
			Disabled: r.Disabled, RolloutPercent: r.RolloutPercent, PackageHash: r.PackageHash, Version: r.Version, Size: r.Size,
		})
	}
	a, rel := selectCodePush(history, c, v)
	if rel == nil {
		return a, nil
	}
	a.DownloadPath = BundlePath(d.AppKey, d.Platform, d.ModuleID, rel.Version)
	// A client on a known base downloads the diff package instead; the answer keeps the
	// target's package hash, which the client checks after applying it.
	if c.PackageHash != "" && c.PackageHash != rel.PackageHash {
		p, ok, err := s.patchFor(ctx, rel.ID, PatchCodePushZip, c.PackageHash)
		if err != nil {
			return CodePushAnswer{}, err
		}
		if ok {
			a.DownloadPath, a.PackageSize = PatchPath(d.AppKey, p.SHA256), p.Size
		}
	}
	return a, nil
}

// selectCodePush is CodePush's getUpdatePackageInfo: the answer with every enabled release,
// and when that offers a release under 100 percent to a client outside it, the answer without
// the unfinished rollouts instead.
func selectCodePush(history []codePushRelease, c CodePushCheck, v *semver.Version) (CodePushAnswer, *codePushRelease) {
	a, rel := selectCodePushAmong(history, c, v, false)
	// A client without an id is never inside an unfinished rollout, as on CodePush's server.
	if rel != nil && rel.RolloutPercent < 100 && (c.ClientID == "" || !InCodePushRollout(c.ClientID, rel.Label, rel.RolloutPercent)) {
		return selectCodePushAmong(history, c, v, true)
	}
	return a, rel
}

func selectCodePushAmong(history []codePushRelease, c CodePushCheck, v *semver.Version, skipRollouts bool) (CodePushAnswer, *codePushRelease) {
	a := CodePushAnswer{AppVersion: c.AppVersion}
	if len(history) == 0 {
		a.ShouldRunBinaryVersion = true
		return a, nil
	}
	var latestEnabled, target *codePushRelease
	found, mandatory := false, false
	for i := len(history) - 1; i >= 0; i-- {
		r := &history[i]
		// Label before hash: the same bundle may be released twice.
		found = found || (c.Label == "" && c.PackageHash == "") ||
			(c.Label != "" && r.Label == c.Label) ||
			(c.Label == "" && r.PackageHash == c.PackageHash)
		if r.Disabled || r.RolloutPercent <= 0 || (skipRollouts && r.RolloutPercent < 100) {
			continue
		}
		if latestEnabled == nil {
			latestEnabled = r
		}
		if !c.IsCompanion && !r.Range.satisfiedBy(v) {
			continue
		}
		if target == nil {
			target = r
		}
		if found {
			break // the rest is older than what the client runs
		}
		if r.Mandatory {
			mandatory = true // newer than the client's, in its range: the update is mandatory
			break
		}
	}
	a.ShouldRunBinaryVersion = target == nil
	switch {
	case latestEnabled == nil:
		return a, nil
	case target == nil || target.PackageHash == c.PackageHash:
		if !latestEnabled.Range.satisfiedBy(v) && latestEnabled.Range.above(v) {
			a.UpdateAppVersion = true
		}
		a.TargetBinaryRange = latestEnabled.Range.text
		return a, nil
	}
	a.IsAvailable = true
	a.IsMandatory = mandatory || target.Mandatory
	a.Label, a.Description, a.PackageHash, a.PackageSize = target.Label, target.Description, target.PackageHash, target.Size
	a.TargetBinaryRange = target.Range.text
	return a, target
}
