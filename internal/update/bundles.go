package update

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Bundle is a React Native bundle of one module of an app.
type Bundle struct {
	ID             int64
	AppKey         string
	Platform       string
	ModuleID       string
	Version        string
	MinAppVersion  string
	MaxAppVersion  *string
	Mandatory      bool
	Description    string
	SHA256         string
	Size           int64
	FileName       string
	Status         string
	RolloutPercent int32
	CreatedAt      time.Time
	PublishedAt    *time.Time
	PackageHash    string   // CodePush's hash of the package (the file's SHA-256 when not a zip)
	Release        *Release // the release the upload made into a deployment, if any
}

// BundlePath is where a bundle version is served.
func BundlePath(appKey, platform, moduleID, version string) string {
	return "/api/v1/rn/files/" + appKey + "/" + platform + "/" + moduleID + "?version=" + url.QueryEscape(version)
}

// DownloadPath is where the bundle is served.
func (b Bundle) DownloadPath() string { return BundlePath(b.AppKey, b.Platform, b.ModuleID, b.Version) }

func bundleOf(row db.RnBundle, appKey string) Bundle {
	b := Bundle{
		ID: row.ID, AppKey: appKey, Platform: row.Platform, ModuleID: row.ModuleID, Version: row.Version,
		MinAppVersion: row.MinAppVersion, MaxAppVersion: row.MaxAppVersion, Mandatory: row.Mandatory,
		Description: row.Description, SHA256: row.Sha256, Size: row.Size, FileName: row.FileName,
		Status: row.Status, RolloutPercent: row.RolloutPercent, CreatedAt: row.CreatedAt, PublishedAt: row.PublishedAt,
		PackageHash: row.Sha256,
	}
	if row.PackageHash != nil {
		b.PackageHash = *row.PackageHash
	}
	return b
}

var moduleIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$`)

// ParseBundleVersion reads a bundle's semantic version: MAJOR.MINOR.PATCH with an optional
// pre-release, without build metadata (which precedence ignores, so two bundles could not be
// told apart).
func ParseBundleVersion(s string) (*semver.Version, error) {
	if len(s) > 64 {
		return nil, errors.New("is longer than 64 characters")
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil, errors.New("must be a semantic version such as 1.2.0 or 1.2.0-beta.1")
	}
	if v.Metadata() != "" {
		return nil, errors.New("must not carry build metadata (+…)")
	}
	return v, nil
}

// BundleUpload is a new bundle, and perhaps its release into a deployment: the fields of the
// contract's upload form, typed. The HTTP layer reads them from the form; UploadRnBundle
// judges them. An optional text field left "" is as if not given.
type BundleUpload struct {
	AppKey         string // the form's appId
	Platform       string
	ModuleID       string
	Version        string
	Description    string
	MinAppVersion  string // required but for a release for a binary range (targetBinaryRange, runtimeVersion)
	MaxAppVersion  string
	Mandatory      bool
	RolloutPercent *int32 // nil: 100
	// A release into the deployment so named, when not "".
	Deployment        string
	TargetBinaryRange string
	Disabled          bool
	RuntimeVersion    string  // the Expo runtime version the release is for
	File              *Upload // the bundle, streamed; nil when the form has none
}

type bundleForm struct {
	appKey, platform, moduleID, version, description string
	minApp                                           string
	maxApp                                           *string
	mandatory                                        bool
	rollout                                          int32
	// A release into a deployment, when the form names one.
	deployment     string
	binaryRange    binaryRange
	disabled       bool
	runtimeVersion *string // the Expo runtime version the release is for
}

func parseBundleForm(in BundleUpload) (bundleForm, error) {
	f := &faults{}
	b := bundleForm{
		appKey: f.appKey(in.AppKey), platform: f.platform(in.Platform), moduleID: f.text("moduleId", in.ModuleID, true, 64),
		version: f.text("version", in.Version, true, 64), description: f.text("description", in.Description, false, maxTextLen),
		mandatory: in.Mandatory, rollout: f.rollout(in.RolloutPercent),
		deployment: f.text("deployment", in.Deployment, false, 64), disabled: in.Disabled,
	}
	rangeText, hasRange := in.TargetBinaryRange, in.TargetBinaryRange != ""
	if rv := in.RuntimeVersion; rv != "" {
		switch {
		case b.deployment == "":
			f.fail("runtimeVersion", "is taken only with deployment")
		case len(rv) > 256 || strings.ContainsAny(rv, "\r\n"):
			f.fail("runtimeVersion", "must be the app's Expo runtime version, 1 to 256 characters on one line")
		default:
			b.runtimeVersion = &rv
			if !hasRange {
				// An Expo release names its runtime version; the range then matters only to
				// CodePush clients, which it does not serve.
				rangeText, hasRange = "*", true
			}
		}
	}
	minText := in.MinAppVersion
	if b.deployment != "" && hasRange && minText == "" {
		// A release for a binary range needs no minAppVersion of its own.
		minText = "0"
	}
	b.minApp = f.text("minAppVersion", minText, true, 64)
	if b.deployment != "" && !deploymentNamePattern.MatchString(b.deployment) {
		f.fail("deployment", "must be the name of a deployment of the module")
	}
	if b.moduleID != "" && !moduleIDPattern.MatchString(b.moduleID) {
		f.fail("moduleId", "must be letters, digits, _, - and . (not first), at most 64")
	}
	if b.version != "" {
		if _, err := ParseBundleVersion(b.version); err != nil {
			f.fail("version", "%v", err)
		}
	}
	var minApp, maxApp nativeVersion
	var minOK bool
	if b.minApp != "" {
		var err error
		if minApp, err = parseNativeVersion(b.minApp); err != nil {
			f.fail("minAppVersion", "%v", err)
		} else {
			minOK = true
		}
	}
	if s := in.MaxAppVersion; s != "" {
		var err error
		if maxApp, err = parseNativeVersion(s); err != nil {
			f.fail("maxAppVersion", "%v", err)
		} else if minOK && maxApp.compare(minApp) < 0 {
			f.fail("maxAppVersion", "must be at least minAppVersion (%s)", b.minApp)
		}
		b.maxApp = &s
	}
	if b.deployment != "" {
		if !hasRange {
			rangeText = ">=" + b.minApp
			if b.maxApp != nil {
				rangeText += " <=" + *b.maxApp
			}
		}
		var err error
		if b.binaryRange, err = parseBinaryRange(rangeText); err != nil {
			f.fail("targetBinaryRange", "%v", err)
		}
	} else if hasRange {
		f.fail("targetBinaryRange", "is taken only with deployment")
	}
	if in.File == nil {
		f.fail("file", "is missing; send the bundle as the last part")
	}
	return b, f.err()
}

// UploadRnBundle creates a DRAFT bundle from an upload (the file streamed from in.File).
func (s *Service) UploadRnBundle(ctx context.Context, p *auth.Principal, in BundleUpload) (Bundle, error) {
	form, err := parseBundleForm(in)
	if err != nil {
		return Bundle{}, err
	}
	a, err := s.appByKey(ctx, p, form.appKey)
	if err != nil {
		return Bundle{}, err
	}
	exists, err := s.q.RnBundleExists(ctx, db.RnBundleExistsParams{AppID: a.ID, Platform: form.platform, ModuleID: form.moduleID, Version: form.version})
	if err != nil {
		return Bundle{}, fault.Wrap(err, "check bundle")
	}
	if exists {
		return Bundle{}, duplicateBundle(a.Key, form)
	}
	var deployment db.RnDeployment
	if form.deployment != "" {
		deployment, err = s.q.GetRnDeploymentByName(ctx, db.GetRnDeploymentByNameParams{AppID: a.ID, Platform: form.platform, ModuleID: form.moduleID, Name: form.deployment})
		if errors.Is(err, postgres.ErrNotFound) {
			return Bundle{}, fault.NotFoundf("module %s of app %s has no %s deployment %s; create it with POST /api/v1/rn/deployments", form.moduleID, a.Key, form.platform, form.deployment)
		}
		if err != nil {
			return Bundle{}, fault.Wrap(err, "load deployment")
		}
	}
	// A release into a deployment is signed with the app's key, if it has one.
	var signer *appSigner
	if form.deployment != "" {
		if signer, err = s.signer(ctx, a.ID); err != nil {
			return Bundle{}, err
		}
	}
	stored, err := s.storeBundle(ctx, in.File, form.platform, signer)
	if err != nil {
		return Bundle{}, err
	}
	if signer != nil && signer.requireSigned && !stored.signed && stored.expo == nil {
		return Bundle{}, fault.InvalidField("file", "cannot be signed: app %s requires signed releases, and only a zip (CodePush) or an Expo export carries a signature", a.Key)
	}
	name := in.File.Name
	if name == "" {
		name = form.moduleID + "-" + form.version + ".bundle"
	}
	var out Bundle
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		row, err := q.InsertRnBundle(ctx, db.InsertRnBundleParams{
			AppID: a.ID, Platform: form.platform, ModuleID: form.moduleID, Version: form.version,
			MinAppVersion: form.minApp, MaxAppVersion: form.maxApp, Mandatory: form.mandatory,
			Description: form.description, Sha256: stored.sha256, Size: stored.size, FileName: name, RolloutPercent: form.rollout,
			PackageHash: &stored.packageHash, ExpoConfig: stored.expoConfig(), Signed: stored.signed,
		})
		if postgres.IsUnique(err, "rn_bundles_app_id_platform_module_id_version_key") {
			return duplicateBundle(a.Key, form)
		}
		if err != nil {
			return fault.Wrap(err, "insert bundle")
		}
		out = bundleOf(row, a.Key)
		if err := insertExpoAssets(ctx, q, row.ID, stored.expo); err != nil {
			return err
		}
		if form.deployment == "" {
			return nil
		}
		rel, err := addRelease(ctx, q, deployment, db.InsertRnReleaseParams{
			BundleID: row.ID, TargetBinaryRange: form.binaryRange.text, Mandatory: form.mandatory,
			Description: form.description, RolloutPercent: form.rollout, Disabled: form.disabled,
			RuntimeVersion: form.runtimeVersion,
		})
		out.Release = &rel
		if err != nil {
			return err
		}
		return s.queuePatches(ctx, tx, rel.ID)
	})
	if err != nil {
		return Bundle{}, err
	}
	if out.Release != nil {
		s.releasesChanged(ctx, a.ID, out.Release.ID)
	}
	return out, nil
}

func duplicateBundle(appKey string, f bundleForm) error {
	return fault.Conflictf("module %s of app %s already has a %s bundle %s", f.moduleID, appKey, f.platform, f.version)
}

func (s *Service) changeBundle(ctx context.Context, p *auth.Principal, id int64, change func() (db.RnBundle, error)) (Bundle, error) {
	row, err := s.q.GetRnBundle(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return Bundle{}, fault.NotFoundf("no bundle has the id %d", id)
	}
	if err != nil {
		return Bundle{}, fault.Wrap(err, "load bundle")
	}
	a, err := s.appByID(ctx, p, row.AppID, "bundle", id)
	if err != nil {
		return Bundle{}, err
	}
	if row, err = change(); err != nil {
		return Bundle{}, fault.Wrap(err, "change bundle")
	}
	s.changed(ctx, a.ID)
	return bundleOf(row, a.Key), nil
}

// PublishRnBundle makes a bundle PUBLISHED, with a new rollout percentage when one is given.
func (s *Service) PublishRnBundle(ctx context.Context, p *auth.Principal, id int64, rollout *int32) (Bundle, error) {
	if rollout != nil && (*rollout < 0 || *rollout > 100) {
		return Bundle{}, fault.InvalidField("rolloutPercent", "must be from 0 to 100")
	}
	return s.changeBundle(ctx, p, id, func() (db.RnBundle, error) {
		return s.q.PublishRnBundle(ctx, db.PublishRnBundleParams{ID: id, RolloutPercent: rollout})
	})
}

// WithdrawRnBundle makes a bundle WITHDRAWN; clients running it are moved off it.
func (s *Service) WithdrawRnBundle(ctx context.Context, p *auth.Principal, id int64) (Bundle, error) {
	return s.changeBundle(ctx, p, id, func() (db.RnBundle, error) { return s.q.WithdrawRnBundle(ctx, id) })
}

// SetRnBundleRollout sets the share of devices offered a bundle.
func (s *Service) SetRnBundleRollout(ctx context.Context, p *auth.Principal, id int64, rollout int32) (Bundle, error) {
	if rollout < 0 || rollout > 100 {
		return Bundle{}, fault.InvalidField("rolloutPercent", "must be from 0 to 100")
	}
	return s.changeBundle(ctx, p, id, func() (db.RnBundle, error) {
		return s.q.SetRnBundleRollout(ctx, db.SetRnBundleRolloutParams{ID: id, RolloutPercent: rollout})
	})
}

// BundleFilter narrows ListRnBundles.
type BundleFilter struct {
	Platform, ModuleID, Status *string
	Page                       page.Request
}

// ListRnBundles pages through an app's bundles, newest first.
func (s *Service) ListRnBundles(ctx context.Context, p *auth.Principal, appKey string, f BundleFilter) (page.Page[Bundle], error) {
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return page.Page[Bundle]{}, err
	}
	total, err := s.q.CountRnBundles(ctx, db.CountRnBundlesParams{AppID: a.ID, Platform: f.Platform, ModuleID: f.ModuleID, Status: f.Status})
	if err != nil {
		return page.Page[Bundle]{}, fault.Wrap(err, "count bundles")
	}
	rows, err := s.q.ListRnBundles(ctx, db.ListRnBundlesParams{
		AppID: a.ID, Platform: f.Platform, ModuleID: f.ModuleID, Status: f.Status, Lim: f.Page.Limit(), Off: f.Page.Offset(),
	})
	if err != nil {
		return page.Page[Bundle]{}, fault.Wrap(err, "list bundles")
	}
	out := make([]Bundle, len(rows))
	for i, r := range rows {
		out[i] = bundleOf(r, a.Key)
	}
	return page.Of(f.Page, out, total), nil
}

// RollbackRnBundle withdraws the newest PUBLISHED bundles of a module so that an earlier one
// is served again: the newest one alone, or every one newer than toVersion. It returns the
// bundle now current.
func (s *Service) RollbackRnBundle(ctx context.Context, p *auth.Principal, appKey, platform, moduleID string, toVersion *string) (Bundle, error) {
	var target *semver.Version
	if toVersion != nil {
		v, err := ParseBundleVersion(*toVersion)
		if err != nil {
			return Bundle{}, fault.InvalidField("toVersion", "%v", err)
		}
		target = v
	}
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return Bundle{}, err
	}
	var current db.RnBundle
	err = postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		rows, err := q.LockPublishedRnBundles(ctx, db.LockPublishedRnBundlesParams{AppID: a.ID, Platform: platform, ModuleID: moduleID})
		if err != nil {
			return fault.Wrap(err, "lock bundles")
		}
		published := sortedBundles(rows) // oldest first
		var keep int                     // published[:keep] stay
		if target == nil {
			if len(published) < 2 {
				return fault.Conflictf("%s has no earlier published bundle for %s to roll back to", moduleID, platform)
			}
			keep = len(published) - 1
		} else {
			keep = slices.IndexFunc(published, func(b versionedBundle) bool { return b.version.Equal(target) })
			if keep < 0 {
				if _, err := q.GetRnBundleByVersion(ctx, db.GetRnBundleByVersionParams{AppID: a.ID, Platform: platform, ModuleID: moduleID, Version: *toVersion}); errors.Is(err, postgres.ErrNotFound) {
					return fault.NotFoundf("%s has no %s bundle %s", moduleID, platform, *toVersion)
				} else if err != nil {
					return fault.Wrap(err, "load bundle")
				}
				return fault.Conflictf("bundle %s of %s is not PUBLISHED; publish it instead", *toVersion, moduleID)
			}
			keep++
		}
		for _, b := range published[keep:] {
			if _, err := q.WithdrawRnBundle(ctx, b.row.ID); err != nil {
				return fault.Wrap(err, "withdraw bundle")
			}
		}
		current = published[keep-1].row
		return nil
	})
	if err != nil {
		return Bundle{}, err
	}
	s.changed(ctx, a.ID)
	return bundleOf(current, a.Key), nil
}

type versionedBundle struct {
	row     db.RnBundle
	version *semver.Version
}

// sortedBundles orders bundles by semantic-version precedence, oldest first; a stored version
// that no longer parses (none should) sorts first.
func sortedBundles(rows []db.RnBundle) []versionedBundle {
	out := make([]versionedBundle, 0, len(rows))
	for _, r := range rows {
		v, err := ParseBundleVersion(r.Version)
		if err != nil {
			v = semver.New(0, 0, 0, "", "")
		}
		out = append(out, versionedBundle{row: r, version: v})
	}
	slices.SortStableFunc(out, func(a, b versionedBundle) int { return a.version.Compare(b.version) })
	return out
}
