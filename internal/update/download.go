package update

import (
	"context"
	"errors"
	"regexp"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/blob"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Download is a release's file, open for reading; the caller closes Object.
type Download struct {
	Object   blob.Object
	SHA256   string
	FileName string
	Version  string // a bundle's version
}

var apkName = regexp.MustCompile(`^(ak_[A-Za-z0-9_]{3,61})-ANDROID-([1-9][0-9]{0,9})\.apk$`)

// publicApp resolves the app of a public download and holds its switches.
func (s *Service) publicApp(ctx context.Context, key string) (app, error) {
	row, err := s.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: "UPDATE", AppKey: key})
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return app{}, fault.NotFoundf("no app has the key %s", key)
	case err != nil:
		return app{}, fault.Wrap(err, "load app")
	case row.TenantStatus != "ENABLED":
		return app{}, fault.Forbiddenf("the tenant of app %s is disabled", key)
	case row.ServiceEnabled == nil || !*row.ServiceEnabled:
		return app{}, fault.Forbiddenf("the UPDATE service is disabled for app %s", key)
	}
	return app{ID: row.ID, TenantID: row.TenantID, Key: row.AppKey}, nil
}

// mayTestDrafts tells whether p may download a's unpublished releases: the app-admin callers
// (its owner's accounts but VIEWERs, operators, its own back end).
func mayTestDrafts(p *auth.Principal, a app) bool {
	if p == nil || (p.Kind == auth.KindTenant && p.Role == auth.RoleViewer) {
		return false
	}
	return authorize(p, a) == nil
}

// DownloadAPK opens the APK named <appKey>-ANDROID-<versionCode>.apk: a published one for
// anyone, a DRAFT (to be installed for testing) only for p with app-admin rights; to others a
// draft does not exist.
func (s *Service) DownloadAPK(ctx context.Context, p *auth.Principal, filename string) (Download, error) {
	m := apkName.FindStringSubmatch(filename)
	if m == nil {
		return Download{}, fault.InvalidField("filename", "must be <appKey>-ANDROID-<versionCode>.apk")
	}
	code, err := strconv.ParseInt(m[2], 10, 32)
	if err != nil {
		return Download{}, fault.NotFoundf("no APK is named %s", filename)
	}
	a, err := s.publicApp(ctx, m[1])
	if err != nil {
		return Download{}, err
	}
	row, err := s.q.GetAppVersionByCode(ctx, db.GetAppVersionByCodeParams{AppID: a.ID, Platform: Android, VersionCode: int32(code)})
	if errors.Is(err, postgres.ErrNotFound) || (err == nil && (row.Sha256 == nil || (row.Status == Draft && !mayTestDrafts(p, a)))) {
		return Download{}, fault.NotFoundf("no APK is named %s", filename)
	}
	if err != nil {
		return Download{}, fault.Wrap(err, "load version")
	}
	return s.open(ctx, *row.Sha256, filename, "")
}

// DownloadBundle opens a bundle: the given version (a DRAFT only when released into a
// deployment, or for p with app-admin rights),
// or without one the newest PUBLISHED bundle of the module.
func (s *Service) DownloadBundle(ctx context.Context, p *auth.Principal, appKey, platform, moduleID string, version *string) (Download, error) {
	a, err := s.publicApp(ctx, appKey)
	if err != nil {
		return Download{}, err
	}
	appID := a.ID
	var row db.RnBundle
	if version != nil {
		row, err = s.q.GetRnBundleByVersion(ctx, db.GetRnBundleByVersionParams{AppID: appID, Platform: platform, ModuleID: moduleID, Version: *version})
		if err == nil && row.Status == Draft && !mayTestDrafts(p, a) {
			// A bundle released into a deployment is live for CodePush and Expo clients.
			released, rerr := s.q.RnBundleReleased(ctx, row.ID)
			if rerr != nil {
				return Download{}, fault.Wrap(rerr, "load releases")
			}
			if !released {
				err = postgres.ErrNotFound
			}
		}
		if errors.Is(err, postgres.ErrNotFound) {
			return Download{}, fault.NotFoundf("module %s has no %s bundle %s", moduleID, platform, *version)
		}
		if err != nil {
			return Download{}, fault.Wrap(err, "load bundle")
		}
	} else {
		rows, err := s.q.ListOfferableRnBundles(ctx, appID)
		if err != nil {
			return Download{}, fault.Wrap(err, "load bundles")
		}
		var published []db.RnBundle
		for _, r := range rows {
			if r.Status == Published && r.Platform == platform && r.ModuleID == moduleID {
				published = append(published, r)
			}
		}
		sorted := sortedBundles(published)
		if len(sorted) == 0 {
			return Download{}, fault.NotFoundf("module %s has no published %s bundle", moduleID, platform)
		}
		row = sorted[len(sorted)-1].row
	}
	return s.open(ctx, row.Sha256, row.FileName, row.Version)
}

func (s *Service) open(ctx context.Context, sha, name, version string) (Download, error) {
	obj, err := s.blobs.Open(ctx, blob.ContentKey(sha))
	if err != nil {
		return Download{}, fault.Wrap(err, "open release file "+sha)
	}
	return Download{Object: obj, SHA256: sha, FileName: name, Version: version}, nil
}
