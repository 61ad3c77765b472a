package push

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sideshow/apns2/token"
	"golang.org/x/oauth2/google"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
	"github.com/xuqmgroup/xuqm/internal/secret"
)

// The APNs environments.
const (
	Sandbox    = "SANDBOX"
	Production = "PRODUCTION"
)

// CredentialInput is what a tenant gives for one vendor; only that vendor's fields count.
type CredentialInput struct {
	// APNS: token authentication.
	PrivateKey  string // the .p8 key, PEM
	KeyID       string
	TeamID      string
	BundleID    string
	Environment string
	// FCM: the service account's key file.
	ServiceAccountJSON string
	// HUAWEI: HMS Push Kit.
	HMSAppID     string
	ClientSecret string
}

// Credential is what may be shown of an app's credentials for a vendor.
type Credential struct {
	Vendor      string
	Fingerprint string
	Settings    Settings
	UpdatedAt   time.Time
}

// Settings are the non-secret parts of credentials.
type Settings struct {
	KeyID       string `json:"keyId,omitempty"`
	TeamID      string `json:"teamId,omitempty"`
	BundleID    string `json:"bundleId,omitempty"`
	Environment string `json:"environment,omitempty"`
	ProjectID   string `json:"projectId,omitempty"`
	ClientEmail string `json:"clientEmail,omitempty"`
	HMSAppID    string `json:"hmsAppId,omitempty"`
}

// sealedCredential is what the sealed column holds: the settings and the secret.
type sealedCredential struct {
	Settings
	PrivateKey         string `json:"privateKey,omitempty"`
	ServiceAccountJSON string `json:"serviceAccountJson,omitempty"`
	ClientSecret       string `json:"clientSecret,omitempty"`
}

// fcmScope is the OAuth 2.0 scope of the FCM HTTP v1 API.
const fcmScope = "https://www.googleapis.com/auth/firebase.messaging"

// credentialAAD names the row a sealed credential belongs to, so that it opens nowhere else.
func credentialAAD(appID int64, vendor string) string {
	return "push_credentials:" + strconv.FormatInt(appID, 10) + ":" + strings.ToLower(vendor)
}

// check turns the input into what is sealed, and the secret that is fingerprinted.
func (in CredentialInput) check(vendor string) (sealedCredential, []byte, error) {
	required := func(field, v string) error {
		if strings.TrimSpace(v) == "" {
			return fault.InvalidField(field, "%s credentials need %s", vendor, field)
		}
		return nil
	}
	var c sealedCredential
	switch vendor {
	case APNS:
		for _, f := range [][2]string{{"privateKey", in.PrivateKey}, {"keyId", in.KeyID}, {"teamId", in.TeamID}, {"bundleId", in.BundleID}} {
			if err := required(f[0], f[1]); err != nil {
				return c, nil, err
			}
		}
		if in.Environment != Sandbox && in.Environment != Production {
			return c, nil, fault.InvalidField("environment", "must be SANDBOX or PRODUCTION")
		}
		if _, err := token.AuthKeyFromBytes([]byte(in.PrivateKey)); err != nil {
			return c, nil, fault.InvalidField("privateKey", "must be the .p8 key (an EC private key in PEM): %v", err)
		}
		c.KeyID, c.TeamID, c.BundleID, c.Environment, c.PrivateKey = in.KeyID, in.TeamID, in.BundleID, in.Environment, in.PrivateKey
		return c, []byte(in.PrivateKey), nil
	case FCM:
		if err := required("serviceAccountJson", in.ServiceAccountJSON); err != nil {
			return c, nil, err
		}
		var f struct {
			ProjectID   string `json:"project_id"`
			ClientEmail string `json:"client_email"`
		}
		if err := json.Unmarshal([]byte(in.ServiceAccountJSON), &f); err != nil {
			return c, nil, fault.InvalidField("serviceAccountJson", "must be the service account's JSON key file")
		}
		conf, err := google.JWTConfigFromJSON([]byte(in.ServiceAccountJSON), fcmScope)
		if err != nil || f.ProjectID == "" {
			return c, nil, fault.InvalidField("serviceAccountJson", "must be a service account key file with project_id, client_email and private_key")
		}
		if _, err := parseRSAKey(conf.PrivateKey); err != nil {
			return c, nil, fault.InvalidField("serviceAccountJson", "its private_key does not parse: %v", err)
		}
		c.ProjectID, c.ClientEmail, c.ServiceAccountJSON = f.ProjectID, f.ClientEmail, in.ServiceAccountJSON
		return c, conf.PrivateKey, nil
	case Huawei:
		if err := required("hmsAppId", in.HMSAppID); err != nil {
			return c, nil, err
		}
		if err := required("clientSecret", in.ClientSecret); err != nil {
			return c, nil, err
		}
		c.HMSAppID, c.ClientSecret = in.HMSAppID, in.ClientSecret
		return c, []byte(in.ClientSecret), nil
	case Xiaomi, Oppo, Vivo, Honor, Meizu:
		return c, nil, fault.InvalidField("vendor", "%s delivery is not supported yet; its devices are reached through FCM where the app registers FCM tokens", vendor)
	}
	return c, nil, fault.InvalidField("vendor", "unknown push vendor %q", vendor)
}

// SetCredential seals and stores an app's credentials for a vendor.
func (s *Service) SetCredential(ctx context.Context, p *auth.Principal, appID int64, vendor string, in CredentialInput) (Credential, error) {
	if _, err := s.ownApp(ctx, p, appID, true); err != nil {
		return Credential{}, err
	}
	c, secretPart, err := in.check(vendor)
	if err != nil {
		return Credential{}, err
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return Credential{}, fault.Wrap(err, "encode credentials")
	}
	settings, err := json.Marshal(c.Settings)
	if err != nil {
		return Credential{}, fault.Wrap(err, "encode settings")
	}
	row, err := s.q.UpsertPushCredential(ctx, db.UpsertPushCredentialParams{
		AppID: appID, Vendor: vendor, Sealed: s.opts.Box.Seal(plain, credentialAAD(appID, vendor)),
		Fingerprint: secret.Fingerprint(secretPart), Settings: settings,
	})
	if err != nil {
		return Credential{}, fault.Wrap(err, "store credentials")
	}
	return credential(row), nil
}

// Credentials lists what may be shown of the app's credentials.
func (s *Service) Credentials(ctx context.Context, p *auth.Principal, appID int64) ([]Credential, error) {
	if _, err := s.ownApp(ctx, p, appID, false); err != nil {
		return nil, err
	}
	rows, err := s.q.ListPushCredentials(ctx, appID)
	if err != nil {
		return nil, fault.Wrap(err, "list credentials")
	}
	out := make([]Credential, len(rows))
	for i, r := range rows {
		out[i] = credential(r)
	}
	return out, nil
}

// DeleteCredential removes the app's credentials for a vendor.
func (s *Service) DeleteCredential(ctx context.Context, p *auth.Principal, appID int64, vendor string) error {
	if _, err := s.ownApp(ctx, p, appID, true); err != nil {
		return err
	}
	n, err := s.q.DeletePushCredential(ctx, db.DeletePushCredentialParams{AppID: appID, Vendor: vendor})
	if err != nil {
		return fault.Wrap(err, "delete credentials")
	}
	if n == 0 {
		return fault.NotFoundf("app %d has no %s credentials", appID, vendor)
	}
	return nil
}

func credential(r db.PushCredential) Credential {
	c := Credential{Vendor: r.Vendor, Fingerprint: r.Fingerprint, UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal(r.Settings, &c.Settings) // written by SetCredential
	return c
}

// ownApp checks that p is an account of the app's tenant; change asks for one that may
// change the app's settings (not a VIEWER).
func (s *Service) ownApp(ctx context.Context, p *auth.Principal, appID int64, change bool) (db.GetPushAppRow, error) {
	if p == nil || p.Kind != auth.KindTenant {
		return db.GetPushAppRow{}, fault.Forbiddenf("push credentials are the app's tenant's")
	}
	app, err := s.q.GetPushApp(ctx, appID)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return app, fault.NotFoundf("no app with id %d", appID)
	case err != nil:
		return app, fault.Wrap(err, "load app")
	case app.TenantID != p.TenantID:
		return app, fault.Forbiddenf("app %d belongs to another tenant", appID)
	case change && p.Role == auth.RoleViewer:
		return app, fault.Forbiddenf("a VIEWER sub-account cannot change anything")
	}
	return app, nil
}

// openCredential is the app's sealed credentials for a vendor, opened; found is false when
// the app has none.
func (s *Service) openCredential(ctx context.Context, appID int64, vendor string) (sealedCredential, string, bool, error) {
	row, err := s.q.GetPushCredential(ctx, db.GetPushCredentialParams{AppID: appID, Vendor: vendor})
	if errors.Is(err, postgres.ErrNotFound) {
		return sealedCredential{}, "", false, nil
	}
	if err != nil {
		return sealedCredential{}, "", false, err
	}
	plain, err := s.opts.Box.Open(row.Sealed, credentialAAD(appID, vendor))
	if err != nil {
		return sealedCredential{}, "", false, err
	}
	var c sealedCredential
	if err := json.Unmarshal(plain, &c); err != nil {
		return sealedCredential{}, "", false, err
	}
	// The fingerprint alone would not see a change of settings with the same secret.
	return c, row.Fingerprint + row.UpdatedAt.String(), true, nil
}
