package update

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// The Expo Updates protocol (version 1) over the same deployments and releases as CodePush: a
// client of app A's module M asks for the newest update of the deployment its channel names
// (expo-channel-name; Production when it sends none) for its platform and runtime version.

// DefaultExpoChannel is the deployment of clients that send no expo-channel-name.
const DefaultExpoChannel = "Production"

// ExpoRequest is a manifest request of an Expo client.
type ExpoRequest struct {
	AppKey, ModuleID string
	Platform         string // expo-platform: ios or android
	RuntimeVersion   string
	Channel          string // expo-channel-name
	CurrentUpdateID  string // expo-current-update-id: the update the client runs
	EmbeddedUpdateID string // expo-embedded-update-id: the update its binary carries
	ClientID         string // eas-client-id: a stable id of the install, for rollouts and reports
	FailedUpdateIDs  []string
}

// Directive types of the protocol.
const (
	NoUpdateAvailable  = "noUpdateAvailable"
	RollBackToEmbedded = "rollBackToEmbedded"
)

// ExpoAnswer is either a manifest (Manifest set) or a directive (Directive set).
type ExpoAnswer struct {
	Manifest  *ExpoManifest
	Directive string
	// CommitTime of rollBackToEmbedded: the client rolls back when the update it runs is older.
	CommitTime time.Time
	Deployment string // the deployment's name, the manifest filter's value
}

// ExpoManifest is the manifest body; asset URLs are paths, which the handler makes absolute.
type ExpoManifest struct {
	ID             uuid.UUID
	CreatedAt      time.Time
	RuntimeVersion string
	LaunchAsset    ExpoAsset
	Assets         []ExpoAsset
	Metadata       map[string]string
	ExpoClient     json.RawMessage // extra.expoClient, when the export had expoConfig.json
}

// ExpoAsset is a file of an update.
type ExpoAsset struct {
	Hash          string // base64url SHA-256
	Key           string
	ContentType   string
	FileExtension string // empty for the launch asset
	Path          string
}

// ExpoAssetPath is where an asset of an app's Expo updates is served, by its SHA-256 (hex).
func ExpoAssetPath(appKey, sha256 string) string {
	return "/api/v1/expo/" + appKey + "/assets/" + sha256
}

// expoPlatform maps expo-platform to the deployments' platform.
func expoPlatform(p string) (string, bool) {
	switch strings.ToLower(p) {
	case "android":
		return Android, true
	case "ios":
		return IOS, true
	}
	return "", false
}

// expoRelease is one release of a deployment as the manifest request sees it.
type expoRelease struct {
	db.ListRnExpoHistoryRow
	runs binaryRange
}

// matches tells whether a release is for the client's runtime version: its own runtime version
// when it has one, else its target binary range read against the runtime version as a binary
// version.
func (r expoRelease) matches(runtime string) bool {
	if r.RuntimeVersion != nil {
		return *r.RuntimeVersion == runtime
	}
	v, err := parseAppVersion(runtime)
	return err == nil && r.runs.satisfiedBy(v)
}

// ExpoManifestFor answers a manifest request: the newest enabled release of the channel's
// deployment for the client's runtime version (and, under a partial rollout, for its install
// id), or a directive. The client's failure reports in the request are counted first, so that
// a release they halt is not served.
func (s *Service) ExpoManifestFor(ctx context.Context, r ExpoRequest) (ExpoAnswer, error) {
	platform, ok := expoPlatform(r.Platform)
	if !ok {
		return ExpoAnswer{}, fault.InvalidField("expo-platform", "must be ios or android")
	}
	if r.RuntimeVersion == "" || len(r.RuntimeVersion) > 256 {
		return ExpoAnswer{}, fault.InvalidField("expo-runtime-version", "must be the app's runtime version, 1 to 256 characters")
	}
	channel := r.Channel
	if channel == "" {
		channel = DefaultExpoChannel
	}
	a, err := s.publicApp(ctx, r.AppKey)
	if err != nil {
		return ExpoAnswer{}, err
	}
	d, err := s.q.GetRnDeploymentByName(ctx, db.GetRnDeploymentByNameParams{AppID: a.ID, Platform: platform, ModuleID: r.ModuleID, Name: channel})
	if errors.Is(err, postgres.ErrNotFound) {
		return ExpoAnswer{}, fault.NotFoundf("module %s of app %s has no %s deployment %s (the expo-channel-name)", r.ModuleID, a.Key, platform, channel)
	}
	if err != nil {
		return ExpoAnswer{}, fault.Wrap(err, "load deployment")
	}
	if err := s.recordExpoReports(ctx, a, d, r); err != nil {
		return ExpoAnswer{}, err
	}
	rows, err := s.q.ListRnExpoHistory(ctx, d.ID)
	if err != nil {
		return ExpoAnswer{}, fault.Wrap(err, "load releases")
	}
	history := make([]expoRelease, len(rows))
	for i, row := range rows {
		br, _ := parseBinaryRange(row.TargetBinaryRange) // checked when stored
		history[i] = expoRelease{ListRnExpoHistoryRow: row, runs: br}
	}
	target, current := selectExpo(history, r)
	answer := ExpoAnswer{Deployment: d.Name}
	switch {
	case current != nil && !servable(*current, r) && (target == nil || target.ID < current.ID):
		// The client runs a release that was disabled or halted (or moved off its runtime or
		// rollout), and nothing newer replaces it: back to the binary's own update, after
		// which the newest release still live, if any, is served as an update again.
		answer.Directive, answer.CommitTime = RollBackToEmbedded, time.Now().UTC()
		if current.HaltedAt != nil {
			answer.CommitTime = current.HaltedAt.UTC()
		}
		return answer, nil
	case target == nil, r.CurrentUpdateID != "" && strings.EqualFold(target.ExpoUpdateID.String(), r.CurrentUpdateID):
		answer.Directive = NoUpdateAvailable
		return answer, nil
	}
	m, err := s.expoManifest(ctx, a.Key, d.Name, r.RuntimeVersion, *target)
	if err != nil {
		return ExpoAnswer{}, err
	}
	answer.Manifest = &m
	return answer, nil
}

// servable tells whether a release may be served to the client.
func servable(rel expoRelease, r ExpoRequest) bool {
	if rel.Disabled || rel.RolloutPercent <= 0 || !rel.matches(r.RuntimeVersion) {
		return false
	}
	// A client without an install id is never inside an unfinished rollout, as for CodePush.
	return rel.RolloutPercent >= 100 || (r.ClientID != "" && InCodePushRollout(r.ClientID, rel.Label, rel.RolloutPercent))
}

// selectExpo is the newest servable release, and the release the client runs if it is one of
// the deployment's.
func selectExpo(history []expoRelease, r ExpoRequest) (target, current *expoRelease) {
	for i := len(history) - 1; i >= 0; i-- {
		rel := &history[i]
		if target == nil && servable(*rel, r) {
			target = rel
		}
		if current == nil && r.CurrentUpdateID != "" && strings.EqualFold(rel.ExpoUpdateID.String(), r.CurrentUpdateID) {
			current = rel
		}
	}
	return target, current
}

func (s *Service) expoManifest(ctx context.Context, appKey, deployment, runtime string, rel expoRelease) (ExpoManifest, error) {
	files, err := s.q.ListRnExpoAssets(ctx, rel.BundleID)
	if err != nil {
		return ExpoManifest{}, fault.Wrap(err, "load assets")
	}
	m := ExpoManifest{
		ID: rel.ExpoUpdateID, CreatedAt: rel.CreatedAt.UTC(), RuntimeVersion: runtime,
		Metadata: map[string]string{"deployment": deployment, "label": rel.Label}, ExpoClient: rel.ExpoConfig,
		Assets: []ExpoAsset{},
	}
	for _, f := range files {
		a := ExpoAsset{Hash: expoHash(f.Sha256), Key: f.AssetKey, ContentType: f.ContentType, Path: ExpoAssetPath(appKey, f.Sha256)}
		if f.Launch {
			m.LaunchAsset = a
			continue
		}
		a.FileExtension = f.FileExtension
		m.Assets = append(m.Assets, a)
	}
	return m, nil
}

// ExpoAssetFile is an asset opened for the asset route.
type ExpoAssetFile struct {
	Download
	ContentType string
}

// ExpoAsset opens an asset of one of the app's Expo updates by its SHA-256 (hex); the caller
// closes Object. Assets are content-addressed: a URL never changes its bytes.
func (s *Service) ExpoAsset(ctx context.Context, appKey, sha256 string) (ExpoAssetFile, error) {
	a, err := s.publicApp(ctx, appKey)
	if err != nil {
		return ExpoAssetFile{}, err
	}
	row, err := s.q.GetRnExpoAssetOfApp(ctx, db.GetRnExpoAssetOfAppParams{AppID: a.ID, Sha256: strings.ToLower(sha256)})
	if errors.Is(err, postgres.ErrNotFound) {
		return ExpoAssetFile{}, fault.NotFoundf("no Expo update of app %s has an asset with the SHA-256 %s", a.Key, sha256)
	}
	if err != nil {
		return ExpoAssetFile{}, fault.Wrap(err, "load asset")
	}
	d, err := s.open(ctx, strings.ToLower(sha256), "", "")
	if err != nil {
		return ExpoAssetFile{}, err
	}
	return ExpoAssetFile{Download: d, ContentType: row.ContentType}, nil
}

func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// parseUpdateID reads an update id the client sends; an id that is no UUID names no release.
func parseUpdateID(s string) (uuid.UUID, bool) {
	id, err := uuid.Parse(strings.TrimSpace(s))
	return id, err == nil
}
