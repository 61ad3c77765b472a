package update

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// AppVersion is a native version of an app.
type AppVersion struct {
	ID                      int64
	AppKey                  string
	Platform                string
	VersionCode             int32
	VersionName             string
	Changelog               string
	ForceUpdate             bool
	MinSupportedVersionCode *int32
	StoreURL                *string
	SHA256                  *string // the APK's; nil without a file
	Size                    *int64
	Status                  string
	RolloutPercent          int32
	CreatedAt               time.Time
	PublishedAt             *time.Time
}

// APKName is the file name of an ANDROID version's APK, the last part of its download path.
func APKName(appKey string, versionCode int32) string {
	return appKey + "-ANDROID-" + strconv.FormatInt(int64(versionCode), 10) + ".apk"
}

// DownloadPath is where the APK is served, or "" for a version without a file.
func (v AppVersion) DownloadPath() string {
	if v.SHA256 == nil {
		return ""
	}
	return "/api/v1/updates/files/apk/" + APKName(v.AppKey, v.VersionCode)
}

func appVersionOf(row db.AppVersion, appKey string) AppVersion {
	return AppVersion{
		ID: row.ID, AppKey: appKey, Platform: row.Platform, VersionCode: row.VersionCode,
		VersionName: row.VersionName, Changelog: row.Changelog, ForceUpdate: row.ForceUpdate,
		MinSupportedVersionCode: row.MinSupportedVersionCode, StoreURL: row.StoreUrl,
		SHA256: row.Sha256, Size: row.Size, Status: row.Status, RolloutPercent: row.RolloutPercent,
		CreatedAt: row.CreatedAt, PublishedAt: row.PublishedAt,
	}
}

var appKeyPattern = regexp.MustCompile(`^ak_[A-Za-z0-9_]{3,61}$`)

// Limits of the contract's upload forms.
const (
	maxVersionCode = 2_100_000_000
	maxTextLen     = 10000
	maxURLLen      = 2048
)

// AppVersionUpload is a new native version: the fields of the contract's upload form, typed.
// The HTTP layer reads them from the form; UploadAppVersion judges them.
type AppVersionUpload struct {
	AppKey                  string // the form's appId
	Platform                string
	VersionCode             int32
	VersionName             string
	Changelog               string
	ForceUpdate             bool
	MinSupportedVersionCode *int32
	StoreURL                string  // "" for none
	RolloutPercent          *int32  // nil: 100
	File                    *Upload // the APK, streamed; nil when the form has none
}

// appVersionForm is the validated form of an APK or store-link upload.
type appVersionForm struct {
	appKey, platform, versionName, changelog string
	versionCode                              int32
	forceUpdate                              bool
	minSupported                             *int32
	storeURL                                 *string
	rollout                                  int32
}

// faults collects every fault of an upload's fields, each naming its form field.
type faults struct{ errs []fault.FieldError }

func (f *faults) fail(field, format string, args ...any) {
	e := fault.InvalidField(field, format, args...)
	f.errs = append(f.errs, e.Fields...)
}

func (f *faults) err() error { return fault.InvalidForm(f.errs) }

// text checks a text field: given when required, at most maxLen characters of UTF-8.
func (f *faults) text(name, v string, required bool, maxLen int) string {
	switch {
	case v == "" && required:
		f.fail(name, "is missing")
	case utf8.RuneCountInString(v) > maxLen:
		f.fail(name, "is longer than %d characters", maxLen)
	case !utf8.ValidString(v):
		f.fail(name, "is not UTF-8 text")
	}
	return v
}

func (f *faults) within(name string, v *int32, lo, hi int32) *int32 {
	if v != nil && (*v < lo || *v > hi) {
		f.fail(name, "must be an integer from %d to %d", lo, hi)
		return nil
	}
	return v
}

func (f *faults) platform(v string) string {
	v = f.text("platform", v, true, 16)
	if v != "" && v != Android && v != IOS {
		f.fail("platform", "must be ANDROID or IOS")
	}
	return v
}

func (f *faults) appKey(v string) string {
	v = f.text("appId", v, true, 64)
	if v != "" && !appKeyPattern.MatchString(v) {
		f.fail("appId", "must be an app key (ak_…)")
	}
	return v
}

func (f *faults) rollout(v *int32) int32 {
	if p := f.within("rolloutPercent", v, 0, 100); p != nil {
		return *p
	}
	return 100
}

func parseAppVersionForm(in AppVersionUpload) (appVersionForm, error) {
	f := &faults{}
	v := appVersionForm{
		appKey: f.appKey(in.AppKey), platform: f.platform(in.Platform),
		versionName: f.text("versionName", in.VersionName, true, 64), changelog: f.text("changelog", in.Changelog, false, maxTextLen),
		forceUpdate: in.ForceUpdate, rollout: f.rollout(in.RolloutPercent),
	}
	if in.VersionName != "" && strings.TrimSpace(v.versionName) == "" {
		f.fail("versionName", "must not be empty")
	}
	if code := f.within("versionCode", &in.VersionCode, 1, maxVersionCode); code != nil {
		v.versionCode = *code
	}
	v.minSupported = f.within("minSupportedVersionCode", in.MinSupportedVersionCode, 1, maxVersionCode)
	if v.minSupported != nil && v.versionCode > 0 && *v.minSupported > v.versionCode {
		f.fail("minSupportedVersionCode", "must be at most versionCode (%d)", v.versionCode)
	}
	if s := f.text("storeUrl", in.StoreURL, false, maxURLLen); s != "" {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			f.fail("storeUrl", "must be an absolute http or https URL")
		}
		v.storeURL = &s
	}
	switch v.platform {
	case Android:
		if in.File == nil {
			f.fail("file", "is missing; an ANDROID version needs its APK (send it as the last part)")
		}
	case IOS:
		if in.File != nil {
			f.fail("file", "is not taken for IOS, whose versions link to the App Store (storeUrl)")
		}
		if v.storeURL == nil {
			f.fail("storeUrl", "is missing; an IOS version needs its App Store link")
		}
	}
	return v, f.err()
}

// UploadAppVersion creates a DRAFT version from an upload (the APK streamed from in.File).
func (s *Service) UploadAppVersion(ctx context.Context, p *auth.Principal, in AppVersionUpload) (AppVersion, error) {
	form, err := parseAppVersionForm(in)
	if err != nil {
		return AppVersion{}, err
	}
	a, err := s.appByKey(ctx, p, form.appKey)
	if err != nil {
		return AppVersion{}, err
	}
	params := db.InsertAppVersionParams{
		AppID: a.ID, Platform: form.platform, VersionCode: form.versionCode, VersionName: form.versionName,
		Changelog: form.changelog, ForceUpdate: form.forceUpdate, MinSupportedVersionCode: form.minSupported,
		StoreUrl: form.storeURL, RolloutPercent: form.rollout,
	}
	// Refuse a duplicate before reading a large file; the unique key still decides a race.
	exists, err := s.q.AppVersionExists(ctx, db.AppVersionExistsParams{AppID: a.ID, Platform: form.platform, VersionCode: form.versionCode})
	if err != nil {
		return AppVersion{}, fault.Wrap(err, "check version")
	}
	if exists {
		return AppVersion{}, duplicateVersion(a.Key, form.platform, form.versionCode)
	}
	if in.File != nil {
		sha, size, err := s.store(ctx, in.File)
		if err != nil {
			return AppVersion{}, err
		}
		params.Sha256, params.Size = &sha, &size
	}
	row, err := s.q.InsertAppVersion(ctx, params)
	if postgres.IsUnique(err, "app_versions_app_id_platform_version_code_key") {
		return AppVersion{}, duplicateVersion(a.Key, form.platform, form.versionCode)
	}
	if err != nil {
		return AppVersion{}, fault.Wrap(err, "insert version")
	}
	return appVersionOf(row, a.Key), nil
}

func duplicateVersion(appKey, platform string, code int32) error {
	return fault.Conflictf("app %s already has a %s version with versionCode %d", appKey, platform, code)
}

// versionChange is a change of one version: publish, withdraw or rollout.
func (s *Service) changeAppVersion(ctx context.Context, p *auth.Principal, id int64, change func(q *db.Queries) (db.AppVersion, error)) (AppVersion, error) {
	row, err := s.q.GetAppVersion(ctx, id)
	if errors.Is(err, postgres.ErrNotFound) {
		return AppVersion{}, fault.NotFoundf("no app version has the id %d", id)
	}
	if err != nil {
		return AppVersion{}, fault.Wrap(err, "load version")
	}
	a, err := s.appByID(ctx, p, row.AppID, "app version", id)
	if err != nil {
		return AppVersion{}, err
	}
	row, err = change(s.q)
	if err != nil {
		return AppVersion{}, fault.Wrap(err, "change version")
	}
	s.changed(ctx, a.ID)
	return appVersionOf(row, a.Key), nil
}

// PublishAppVersion makes a version PUBLISHED, with a new rollout percentage when one is given.
func (s *Service) PublishAppVersion(ctx context.Context, p *auth.Principal, id int64, rollout *int32) (AppVersion, error) {
	if rollout != nil && (*rollout < 0 || *rollout > 100) {
		return AppVersion{}, fault.InvalidField("rolloutPercent", "must be from 0 to 100")
	}
	return s.changeAppVersion(ctx, p, id, func(q *db.Queries) (db.AppVersion, error) {
		return q.PublishAppVersion(ctx, db.PublishAppVersionParams{ID: id, RolloutPercent: rollout})
	})
}

// WithdrawAppVersion makes a version WITHDRAWN: no longer offered.
func (s *Service) WithdrawAppVersion(ctx context.Context, p *auth.Principal, id int64) (AppVersion, error) {
	return s.changeAppVersion(ctx, p, id, func(q *db.Queries) (db.AppVersion, error) {
		return q.WithdrawAppVersion(ctx, id)
	})
}

// SetAppVersionRollout sets the share of devices offered a version.
func (s *Service) SetAppVersionRollout(ctx context.Context, p *auth.Principal, id int64, rollout int32) (AppVersion, error) {
	if rollout < 0 || rollout > 100 {
		return AppVersion{}, fault.InvalidField("rolloutPercent", "must be from 0 to 100")
	}
	return s.changeAppVersion(ctx, p, id, func(q *db.Queries) (db.AppVersion, error) {
		return q.SetAppVersionRollout(ctx, db.SetAppVersionRolloutParams{ID: id, RolloutPercent: rollout})
	})
}

// VersionFilter narrows ListAppVersions.
type VersionFilter struct {
	Platform, Status *string
	Page             page.Request
}

// ListAppVersions pages through an app's versions, newest versionCode first.
func (s *Service) ListAppVersions(ctx context.Context, p *auth.Principal, appKey string, f VersionFilter) (page.Page[AppVersion], error) {
	a, err := s.appByKey(ctx, p, appKey)
	if err != nil {
		return page.Page[AppVersion]{}, err
	}
	total, err := s.q.CountAppVersions(ctx, db.CountAppVersionsParams{AppID: a.ID, Platform: f.Platform, Status: f.Status})
	if err != nil {
		return page.Page[AppVersion]{}, fault.Wrap(err, "count versions")
	}
	rows, err := s.q.ListAppVersions(ctx, db.ListAppVersionsParams{
		AppID: a.ID, Platform: f.Platform, Status: f.Status, Lim: f.Page.Limit(), Off: f.Page.Offset(),
	})
	if err != nil {
		return page.Page[AppVersion]{}, fault.Wrap(err, "list versions")
	}
	out := make([]AppVersion, len(rows))
	for i, r := range rows {
		out[i] = appVersionOf(r, a.Key)
	}
	return page.Of(f.Page, out, total), nil
}
