package config

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range Areas {
		if !c.Serves(a) {
			t.Errorf("default config does not serve %q", a)
		}
	}
	if c.Serves("nope") {
		t.Error("serves an unknown area")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Addr", c.Addr, ":8080"},
		{"DatabaseURL", c.DatabaseURL, ""},
		{"DataDir", c.DataDir, "./data"},
		{"JWTSecret", c.JWTSecret, ""},
		{"AdminPassword", c.AdminPassword, "Admin@123456"},
		{"DemoAppSecret", c.DemoAppSecret, DefaultDemoAppSecret},
		{"DemoPassword", c.DemoPassword, DefaultDemoPassword},
		{"SMTP", c.SMTP, SMTP{TLS: SMTPTLSStartTLS}},
		{"SMTP.Enabled", c.SMTP.Enabled(), false},
		{"CaptchaEnabled", c.CaptchaEnabled, true},
		{"NATSURL", c.NATSURL, ""},
		{"Timezone", c.Timezone.String(), "Asia/Shanghai"},
		{"LogLevel", c.LogLevel, slog.LevelInfo},
		{"LogFormat", c.LogFormat, LogText},
		{"CORSOrigins", c.CORSOrigins, []string(nil)},
		{"WSOrigins", c.WSOrigins, []string{"*"}},
		{"MaxBodyBytes", c.MaxBodyBytes, int64(1 << 20)},
		{"FileMaxBytes", c.FileMaxBytes, int64(100 << 20)},
		{"ThumbMaxPixels", c.ThumbMaxPixels, int64(40_000_000)},
		{"IMRevokeWindow", c.IMRevokeWindow, 2 * time.Minute},
		{"Push.OfflineInterval", c.Push.OfflineInterval, 500 * time.Millisecond},
		{"Push.OfflineHorizon", c.Push.OfflineHorizon, 10 * time.Minute},
		{"TokenTTL", c.TokenTTL, 24 * time.Hour},
		{"PublicURL", c.PublicURL, "http://localhost:8080"},
		{"ShutdownTimeout", c.ShutdownTimeout, 15 * time.Second},
		{"ReadTimeout", c.ReadTimeout, 30 * time.Second},
		{"WriteTimeout", c.WriteTimeout, time.Minute},
		{"IdleTimeout", c.IdleTimeout, 2 * time.Minute},
		{"TransferTimeout", c.TransferTimeout, 30 * time.Minute},
		{"MetricsAddr", c.MetricsAddr, "127.0.0.1:9090"}, // loopback only: not reachable from outside
		{"MetricsToken", c.MetricsToken, ""},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadValues(t *testing.T) {
	c, err := Load(env(map[string]string{
		"XUQM_ADDR":                 "127.0.0.1:9000",
		"DATABASE_URL":              "postgres://u@db/x",
		"XUQM_DATA_DIR":             "/var/lib/xuqm",
		"XUQM_SERVICES":             " im, FILE ,",
		"XUQM_JWT_SECRET":           strings.Repeat("k", 32),
		"XUQM_ADMIN_PASSWORD":       "root-pw",
		"XUQM_DEMO_APP_SECRET":      "s",
		"XUQM_DEMO_PASSWORD":        "p",
		"XUQM_SMTP_ADDR":            "smtp.example.com:465",
		"XUQM_SMTP_USER":            "bot@example.com",
		"XUQM_SMTP_PASSWORD":        "pw",
		"XUQM_CAPTCHA":              "off",
		"XUQM_NATS_URL":             "nats://127.0.0.1:4222",
		"XUQM_TIMEZONE":             "UTC",
		"XUQM_LOG_LEVEL":            "DEBUG",
		"XUQM_LOG_FORMAT":           "json",
		"XUQM_CORS_ORIGINS":         "https://a.example, https://b.example",
		"XUQM_WS_ORIGINS":           "*.example.com",
		"XUQM_MAX_BODY_BYTES":       "2MiB",
		"XUQM_FILE_MAX_BYTES":       "1_000",
		"XUQM_THUMB_MAX_PIXELS":     "1000000",
		"XUQM_IM_REVOKE_WINDOW":     "5m",
		"XUQM_PUSH_OFFLINE_HORIZON": "1h",
		"XUQM_TOKEN_TTL":            "1h",
		"XUQM_PUBLIC_URL":           "https://im.example.com/base/",
		"XUQM_SHUTDOWN_TIMEOUT":     "3s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{AreaIM: true, AreaFile: true}
	if !reflect.DeepEqual(c.Services, want) {
		t.Errorf("Services = %v, want %v", c.Services, want)
	}
	if c.Serves(AreaTenant) || !c.Serves(AreaFile) {
		t.Errorf("Serves disagrees with Services %v", c.Services)
	}
	wantSMTP := SMTP{Addr: "smtp.example.com:465", User: "bot@example.com", Password: "pw",
		From: "bot@example.com", TLS: SMTPTLSImplicit}
	if c.SMTP != wantSMTP || !c.SMTP.Enabled() {
		t.Errorf("SMTP = %+v, want %+v", c.SMTP, wantSMTP)
	}
	if c.CaptchaEnabled || c.Timezone != time.UTC || c.LogLevel != slog.LevelDebug ||
		c.LogFormat != LogJSON || c.MaxBodyBytes != 2<<20 || c.FileMaxBytes != 1000 ||
		c.ThumbMaxPixels != 1_000_000 || c.IMRevokeWindow != 5*time.Minute || c.Push.OfflineHorizon != time.Hour ||
		c.TokenTTL != time.Hour || c.ShutdownTimeout != 3*time.Second ||
		c.PublicURL != "https://im.example.com/base" || c.NATSURL != "nats://127.0.0.1:4222" ||
		c.Addr != "127.0.0.1:9000" || c.DataDir != "/var/lib/xuqm" {
		t.Errorf("unexpected config %+v", c)
	}
	if !reflect.DeepEqual(c.CORSOrigins, []string{"https://a.example", "https://b.example"}) ||
		!reflect.DeepEqual(c.WSOrigins, []string{"*.example.com"}) {
		t.Errorf("origins: CORS %v WS %v", c.CORSOrigins, c.WSOrigins)
	}
	if s := slog.AnyValue(c).Resolve().String(); strings.Contains(s, "root-pw") ||
		strings.Contains(s, "kkkk") || strings.Contains(s, "postgres://") {
		t.Errorf("LogValue leaks a secret: %s", s)
	}
}

func TestLoadAll(t *testing.T) {
	c, err := Load(env(map[string]string{"XUQM_SERVICES": "im,all"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) != len(Areas) {
		t.Errorf("all: Services = %v", c.Services)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		vars map[string]string
		want string // a fragment of the error
	}{
		{map[string]string{"XUQM_SERVICES": "im,chat"}, `XUQM_SERVICES="chat"`},
		{map[string]string{"XUQM_SERVICES": " , "}, "XUQM_SERVICES"},
		{map[string]string{"XUQM_TIMEZONE": "Mars/Base"}, "XUQM_TIMEZONE"},
		{map[string]string{"XUQM_SMTP_ADDR": "mail", "XUQM_SMTP_FROM": "a@b"}, "XUQM_SMTP_ADDR"},
		{map[string]string{"XUQM_SMTP_ADDR": "mail:25"}, "XUQM_SMTP_FROM"},
		{map[string]string{"XUQM_SMTP_TLS": "ssl"}, "XUQM_SMTP_TLS"},
		{map[string]string{"XUQM_CAPTCHA": "maybe"}, "XUQM_CAPTCHA"},
		{map[string]string{"XUQM_LOG_LEVEL": "loud"}, "XUQM_LOG_LEVEL"},
		{map[string]string{"XUQM_LOG_FORMAT": "xml"}, "XUQM_LOG_FORMAT"},
		{map[string]string{"XUQM_MAX_BODY_BYTES": "-1"}, "XUQM_MAX_BODY_BYTES"},
		{map[string]string{"XUQM_FILE_MAX_BYTES": "10TB"}, "XUQM_FILE_MAX_BYTES"},
		{map[string]string{"XUQM_THUMB_MAX_PIXELS": "many"}, "XUQM_THUMB_MAX_PIXELS"},
		{map[string]string{"XUQM_IM_REVOKE_WINDOW": "120"}, "XUQM_IM_REVOKE_WINDOW"},
		{map[string]string{"XUQM_TOKEN_TTL": "-1h"}, "XUQM_TOKEN_TTL"},
		{map[string]string{"XUQM_SHUTDOWN_TIMEOUT": "soon"}, "XUQM_SHUTDOWN_TIMEOUT"},
		{map[string]string{"XUQM_PUBLIC_URL": "localhost:8080"}, "XUQM_PUBLIC_URL"},
		{map[string]string{"XUQM_ADDR": "8080"}, "XUQM_ADDR"},
		{map[string]string{"XUQM_JWT_SECRET": "short"}, "XUQM_JWT_SECRET"},
	}
	for _, tt := range tests {
		_, err := Load(env(tt.vars))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v) = %v, want an error naming %s", tt.vars, err, tt.want)
		}
	}
}

func TestLoadReportsEveryError(t *testing.T) {
	_, err := Load(env(map[string]string{"XUQM_CAPTCHA": "x", "XUQM_TOKEN_TTL": "y"}))
	if err == nil || !strings.Contains(err.Error(), "XUQM_CAPTCHA") ||
		!strings.Contains(err.Error(), "XUQM_TOKEN_TTL") {
		t.Errorf("err = %v, want both variables named", err)
	}
}
