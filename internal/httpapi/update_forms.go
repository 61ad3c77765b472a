package httpapi

import (
	"strconv"
	"strings"

	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/update"
)

// uploadForm reads the text fields of an upload form into typed values, collecting a fault
// naming the field for each one that cannot be read (a number that is none, a flag that is
// neither true nor false). What the values mean (ranges, patterns, which go together) the
// update service judges.
type uploadForm struct {
	fields map[string]string
	errs   []fault.FieldError
}

func (f *uploadForm) fail(field, message string) {
	f.errs = append(f.errs, fault.FieldError{Field: field, Message: message})
}

func (f *uploadForm) err() error { return fault.InvalidForm(f.errs) }

func (f *uploadForm) text(name string) string { return f.fields[name] }

// int32 reads a whole number; nil when the field is absent or empty (a fault when required).
func (f *uploadForm) int32(name string, required bool) *int32 {
	v := strings.TrimSpace(f.fields[name])
	if v == "" {
		if required {
			f.fail(name, "is missing")
		}
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		f.fail(name, "must be a whole number")
		return nil
	}
	n32 := int32(n)
	return &n32
}

// bool reads a flag; absent or empty is false.
func (f *uploadForm) bool(name string) bool {
	v := strings.TrimSpace(f.fields[name])
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		f.fail(name, "must be true or false")
	}
	return b
}

// appVersionUploadOf reads the form of uploadAppVersion.
func appVersionUploadOf(fields map[string]string, file *update.Upload) (update.AppVersionUpload, error) {
	f := &uploadForm{fields: fields}
	in := update.AppVersionUpload{
		AppKey: f.text("appId"), Platform: f.text("platform"), VersionName: f.text("versionName"),
		Changelog: f.text("changelog"), ForceUpdate: f.bool("forceUpdate"), StoreURL: f.text("storeUrl"),
		MinSupportedVersionCode: f.int32("minSupportedVersionCode", false), RolloutPercent: f.int32("rolloutPercent", false),
		File: file,
	}
	if code := f.int32("versionCode", true); code != nil {
		in.VersionCode = *code
	}
	return in, f.err()
}

// bundleUploadOf reads the form of uploadRnBundle.
func bundleUploadOf(fields map[string]string, file *update.Upload) (update.BundleUpload, error) {
	f := &uploadForm{fields: fields}
	in := update.BundleUpload{
		AppKey: f.text("appId"), Platform: f.text("platform"), ModuleID: f.text("moduleId"), Version: f.text("version"),
		Description: f.text("description"), MinAppVersion: f.text("minAppVersion"), MaxAppVersion: f.text("maxAppVersion"),
		Mandatory: f.bool("mandatory"), RolloutPercent: f.int32("rolloutPercent", false),
		Deployment: f.text("deployment"), TargetBinaryRange: f.text("targetBinaryRange"), Disabled: f.bool("disabled"),
		RuntimeVersion: f.text("runtimeVersion"), File: file,
	}
	return in, f.err()
}
