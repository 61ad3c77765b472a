package update

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	"github.com/xuqmgroup/xuqm/internal/fault"
)

// InRollout tells whether a device is inside a release's rollout: the first four bytes of
// SHA-256("<deviceId>:<releaseId>"), big-endian, modulo 100, below the percentage. The bucket
// of a device is fixed per release, so the answer never changes for a device and raising the
// percentage only adds devices. Without a device id only a full rollout includes the caller.
func InRollout(deviceID string, releaseID int64, percent int32) bool {
	if percent >= 100 {
		return true
	}
	if deviceID == "" || percent <= 0 {
		return false
	}
	return bucket(deviceID, releaseID) < uint32(percent)
}

func bucket(deviceID string, releaseID int64) uint32 {
	var buf [192]byte
	b := append(buf[:0], deviceID...)
	b = append(b, ':')
	b = strconv.AppendInt(b, releaseID, 10)
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint32(sum[:4]) % 100
}

// AppCheck is a native update check.
type AppCheck struct {
	AppKey, Platform   string
	CurrentVersionCode int32
	DeviceID           string // optional
}

// AppCheckResult is the answer: Version is the offered version when HasUpdate.
type AppCheckResult struct {
	HasUpdate, ForceUpdate bool
	Version                AppVersion
}

// CheckApp offers the newest PUBLISHED version above the installed one whose rollout includes
// the device. It reads only the in-memory index.
func (s *Service) CheckApp(ctx context.Context, c AppCheck) (AppCheckResult, error) {
	if c.Platform != Android && c.Platform != IOS {
		return AppCheckResult{}, fault.InvalidField("platform", "must be ANDROID or IOS")
	}
	if c.CurrentVersionCode < 0 {
		return AppCheckResult{}, fault.InvalidField("currentVersionCode", "must not be negative")
	}
	r, err := s.index.get(ctx, c.AppKey)
	if err != nil {
		return AppCheckResult{}, err
	}
	versions := r.versions[c.Platform]
	var target *offeredVersion
	for i := len(versions) - 1; i >= 0 && versions[i].VersionCode > c.CurrentVersionCode; i-- {
		v := &versions[i]
		if v.published && InRollout(c.DeviceID, v.ID, v.RolloutPercent) {
			target = v
			break
		}
	}
	if target == nil {
		return AppCheckResult{}, nil
	}
	force := target.ForceUpdate ||
		(target.MinSupportedVersionCode != nil && c.CurrentVersionCode < *target.MinSupportedVersionCode)
	for i := range versions {
		v := &versions[i]
		if v.published && v.ForceUpdate && v.VersionCode > c.CurrentVersionCode && v.VersionCode < target.VersionCode {
			force = true
		}
	}
	return AppCheckResult{HasUpdate: true, ForceUpdate: force, Version: target.AppVersion}, nil
}

// BundleCheck is a React Native bundle check.
type BundleCheck struct {
	AppKey, Platform, ModuleID, CurrentVersion string
	AppVersion                                 string // optional: the native version name
	DeviceID                                   string // optional
}

// BundleCheckResult is the answer: Bundle is the offered bundle when HasUpdate.
type BundleCheckResult struct {
	HasUpdate, Mandatory, Rollback, CurrentWithdrawn bool
	Bundle                                           Bundle
}

// CheckRnBundle offers the newest PUBLISHED bundle of the module that runs on the app version
// and whose rollout includes the device, when it is newer than the client's, or whatever it is
// when the client runs a WITHDRAWN bundle. It reads only the in-memory index.
func (s *Service) CheckRnBundle(ctx context.Context, c BundleCheck) (BundleCheckResult, error) {
	if c.Platform != Android && c.Platform != IOS {
		return BundleCheckResult{}, fault.InvalidField("platform", "must be ANDROID or IOS")
	}
	current, err := ParseBundleVersion(c.CurrentVersion)
	if err != nil {
		return BundleCheckResult{}, fault.InvalidField("currentVersion", "%v", err)
	}
	var appVersion *nativeVersion
	if c.AppVersion != "" {
		v, err := parseNativeVersion(c.AppVersion)
		if err != nil {
			return BundleCheckResult{}, fault.InvalidField("appVersion", "%v", err)
		}
		appVersion = &v
	}
	r, err := s.index.get(ctx, c.AppKey)
	if err != nil {
		return BundleCheckResult{}, err
	}
	bundles := r.bundles[moduleKey{c.Platform, c.ModuleID}]
	var res BundleCheckResult
	var target *offeredBundle
	for i := len(bundles) - 1; i >= 0; i-- {
		b := &bundles[i]
		if b.version.Equal(current) && !b.published {
			res.CurrentWithdrawn = true
		}
		if target == nil && b.published && b.runsOn(appVersion) && InRollout(c.DeviceID, b.ID, b.RolloutPercent) {
			target = b
		}
	}
	if target == nil {
		return res, nil
	}
	switch cmp := target.version.Compare(current); {
	case cmp > 0:
		res.Mandatory = target.Mandatory || res.CurrentWithdrawn
		for i := range bundles {
			b := &bundles[i]
			if b.published && b.Mandatory && b.runsOn(appVersion) && b.version.GreaterThan(current) && b.version.LessThan(target.version) {
				res.Mandatory = true
			}
		}
	case res.CurrentWithdrawn:
		res.Rollback, res.Mandatory = cmp < 0, true
	default:
		return res, nil
	}
	res.HasUpdate, res.Bundle = true, target.Bundle
	return res, nil
}
