package config

import (
	"log/slog"
	"strings"
	"testing"
)

func TestLoadBlobSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.Enabled() || c.UpdateMaxBytes != 1<<30 {
		t.Errorf("defaults: S3 %+v, UpdateMaxBytes %d", c.S3, c.UpdateMaxBytes)
	}

	c, err = Load(env(map[string]string{
		"XUQM_S3_ENDPOINT":      "s3.example.com:9000",
		"XUQM_S3_BUCKET":        "xuqm-blobs",
		"XUQM_S3_ACCESS_KEY":    "AKIA-TEST",
		"XUQM_S3_SECRET_KEY":    "very-secret-key",
		"XUQM_S3_USE_SSL":       "off",
		"XUQM_UPDATE_MAX_BYTES": "2GiB",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := S3{Endpoint: "s3.example.com:9000", Bucket: "xuqm-blobs", AccessKey: "AKIA-TEST", SecretKey: "very-secret-key"}
	if c.S3 != want || !c.S3.Enabled() || c.UpdateMaxBytes != 2<<30 {
		t.Errorf("S3 = %+v, UpdateMaxBytes %d", c.S3, c.UpdateMaxBytes)
	}
	if s := slog.AnyValue(c).Resolve().String(); strings.Contains(s, "very-secret-key") || strings.Contains(s, "AKIA-TEST") {
		t.Errorf("LogValue leaks an S3 credential: %s", s)
	}
}

func TestLoadBlobSettingErrors(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"XUQM_S3_ENDPOINT": "s3.example.com"}, "XUQM_S3_BUCKET"},
		{map[string]string{"XUQM_S3_ENDPOINT": "https://s3.example.com", "XUQM_S3_BUCKET": "b"}, "XUQM_S3_ENDPOINT"},
		{map[string]string{"XUQM_S3_ENDPOINT": "s3", "XUQM_S3_BUCKET": "b", "XUQM_S3_ACCESS_KEY": "a"}, "XUQM_S3_ACCESS_KEY"},
		{map[string]string{"XUQM_S3_USE_SSL": "perhaps"}, "XUQM_S3_USE_SSL"},
		{map[string]string{"XUQM_UPDATE_MAX_BYTES": "0"}, "XUQM_UPDATE_MAX_BYTES"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.vars))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v) = %v, want an error naming %s", tt.vars, err, tt.want)
		}
	}
}
