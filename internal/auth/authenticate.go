package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// Credentials are what a request carries, read off it by the HTTP layer.
type Credentials struct {
	Method     string
	Bearer     string // Authorization: Bearer …
	QueryToken string // ?token= (WebSocket)
	AppKey     string // appId query parameter or X-App-Key header
	Signature  string // X-App-Signature
	Signed     SignedRequest
	// BodyHash hashes the body on demand: only signed requests need it.
	BodyHash func() (string, error)
}

// Authenticator turns credentials into a Principal for a route's Requirement.
type Authenticator struct {
	q          db.Querier
	tokens     *Tokens
	now        func() time.Time
	publicApps appCache
	imUsers    imUserCache
	secrets    *Secrets
}

// NewAuthenticator checks credentials against the database.
func NewAuthenticator(q db.Querier, tokens *Tokens) *Authenticator {
	return &Authenticator{q: q, tokens: tokens, now: time.Now}
}

// UseSecrets opens sealed app secrets and service keys with secrets; call it before serving.
func (a *Authenticator) UseSecrets(secrets *Secrets) { a.secrets = secrets }

// Tokens is the signer, for the services that log people in.
func (a *Authenticator) Tokens() *Tokens { return a.tokens }

var schemeOfKind = map[Kind]Scheme{KindTenant: SchemeTenant, KindOps: SchemeOps, KindIM: SchemeIM, KindDemo: SchemeDemo}

var schemeNames = map[Scheme]string{
	SchemeTenant: "a tenant token", SchemeOps: "an operator token", SchemeIM: "an IM token",
	SchemeDemo: "a demo token", SchemeSignature: "an app-server signature", SchemeIMQuery: "an IM token in ?token=",
}

// Authenticate checks the request's credentials against what the route accepts. Public
// routes that name an app get a Principal with only App set, so that the service switch
// holds for them too.
func (a *Authenticator) Authenticate(ctx context.Context, req Requirement, c Credentials) (*Principal, error) {
	token := c.Bearer
	if token == "" && req.allows(SchemeIMQuery) {
		token = c.QueryToken
	}
	var p *Principal
	var err error
	switch {
	case len(req.Schemes) == 0 || (req.Optional && token == "" && c.Signature == ""):
		p = &Principal{}
		if c.AppKey != "" {
			err = a.attachPublicApp(ctx, p, req, c.AppKey)
		}
	case token != "":
		p, err = a.fromToken(ctx, req, c, token)
	case c.Signature != "" && req.allows(SchemeSignature):
		p, err = a.fromSignature(ctx, req, c)
	default:
		err = fault.Unauthorizedf("this route needs %s", a.describe(req))
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (a *Authenticator) describe(req Requirement) string {
	names := make([]string, len(req.Schemes))
	for i, s := range req.Schemes {
		names[i] = schemeNames[s]
	}
	return strings.Join(names, " or ")
}

func (a *Authenticator) fromToken(ctx context.Context, req Requirement, c Credentials, token string) (*Principal, error) {
	claims, err := a.tokens.Parse(token)
	if err != nil {
		return nil, err
	}
	scheme, ok := schemeOfKind[claims.Typ]
	if ok && claims.Typ == KindIM && !req.allows(SchemeIM) && req.allows(SchemeIMQuery) {
		scheme = SchemeIMQuery
	}
	if !ok || !req.allows(scheme) {
		return nil, fault.Forbiddenf("a %s token cannot call this route; it needs %s", claims.Typ, a.describe(req))
	}
	switch claims.Typ {
	case KindTenant:
		return a.tenant(ctx, req, c, claims)
	case KindOps:
		return a.operator(ctx, req, c, claims)
	case KindIM:
		return a.imUser(ctx, req, c, claims)
	default: // demo: the demo users are fixed; the demo service checks the rest
		return &Principal{Kind: KindDemo, UserID: claims.Subject}, nil
	}
}

func (a *Authenticator) tenant(ctx context.Context, req Requirement, c Credentials, claims *Claims) (*Principal, error) {
	id, err := claims.subjectID()
	if err != nil {
		return nil, err
	}
	acc, err := a.q.GetAccountForAuth(ctx, id)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return nil, fault.Unauthorizedf("the account of this token no longer exists")
	case err != nil:
		return nil, fault.Wrap(err, "load tenant account")
	case claims.issuedAt().Before(acc.TokensValidAfter):
		return nil, fault.Unauthorizedf("this token was issued before a password reset or a sign-out; log in again")
	case acc.Status != "ENABLED":
		return nil, fault.Forbiddenf("this account is disabled")
	case acc.TenantStatus != "ENABLED":
		return nil, fault.Forbiddenf("this tenant is disabled; contact the platform's operators")
	case acc.Role == RoleViewer && !readOnly(c.Method):
		return nil, fault.Forbiddenf("a VIEWER sub-account cannot change anything")
	}
	p := &Principal{Kind: KindTenant, TenantID: acc.TenantID, AccountID: acc.ID, Role: acc.Role}
	if c.AppKey != "" {
		if err := a.attachApp(ctx, p, req, c.AppKey); err != nil {
			return nil, err
		}
		if p.App.TenantID != p.TenantID {
			return nil, fault.Forbiddenf("app %s belongs to another tenant", c.AppKey)
		}
	}
	return p, nil
}

func (a *Authenticator) operator(ctx context.Context, req Requirement, c Credentials, claims *Claims) (*Principal, error) {
	id, err := claims.subjectID()
	if err != nil {
		return nil, err
	}
	op, err := a.q.GetOperatorForAuth(ctx, id)
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return nil, fault.Unauthorizedf("the operator of this token no longer exists")
	case err != nil:
		return nil, fault.Wrap(err, "load operator")
	case claims.issuedAt().Before(op.TokensValidAfter):
		return nil, fault.Unauthorizedf("this token was issued before a sign-out; log in again")
	case op.Status != "ENABLED":
		return nil, fault.Forbiddenf("this operator is disabled")
	}
	p := &Principal{Kind: KindOps, OperatorID: op.ID}
	if c.AppKey != "" {
		if err := a.attachApp(ctx, p, req, c.AppKey); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (a *Authenticator) imUser(ctx context.Context, req Requirement, c Credentials, claims *Claims) (*Principal, error) {
	appKey := claims.appKey()
	if c.AppKey != "" && c.AppKey != appKey {
		return nil, fault.Forbiddenf("this IM token belongs to app %s, not %s", appKey, c.AppKey)
	}
	row, err := a.imUserRow(ctx, req.Service, claims)
	switch {
	case errors.Is(err, postgres.ErrNotFound) || (err == nil && row.ID != claims.AppID):
		return nil, fault.Unauthorizedf("the app of this token no longer exists")
	case err != nil:
		return nil, fault.Wrap(err, "load app")
	case !row.AccountExists || row.AccountDeletedAt != nil:
		return nil, fault.Unauthorizedf("the IM account of this token was deleted")
	case row.AccountTokensValidAfter != nil && claims.issuedAt().Before(*row.AccountTokensValidAfter):
		return nil, fault.Unauthorizedf("this token was issued before the account was deleted; log in again")
	}
	p := &Principal{Kind: KindIM, UserID: claims.Subject, TenantID: row.TenantID, App: &App{ID: row.ID, TenantID: row.TenantID, Key: row.AppKey}}
	return p, checkApp(row, req)
}

func (a *Authenticator) fromSignature(ctx context.Context, req Requirement, c Credentials) (*Principal, error) {
	if c.AppKey == "" {
		return nil, fault.Unauthorizedf("a signed request names its app with the appId query parameter or the X-App-Key header")
	}
	row, err := a.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: req.Service, AppKey: c.AppKey})
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return nil, fault.Unauthorizedf("no app has the key %s", c.AppKey)
	case err != nil:
		return nil, fault.Wrap(err, "load app")
	}
	secret, err := a.secrets.Open(row.AppSecret, AppSecretAAD(row.AppKey))
	if !req.signsWithAppSecret() && row.ServiceKey != nil {
		secret, err = a.secrets.Open(*row.ServiceKey, ServiceKeyAAD(row.ID, req.Service))
	}
	if err != nil {
		return nil, err
	}
	signed := c.Signed
	if signed.BodyHash, err = c.BodyHash(); err != nil {
		return nil, err
	}
	// Only a request that passed every check stores its nonce, kept for as long as the request
	// itself would be accepted: until its own timestamp plus the window.
	at, err := checkSignature(secret, c.Signature, signed, a.now())
	if err != nil {
		return nil, err
	}
	n, err := a.q.UseRequestNonce(ctx, db.UseRequestNonceParams{AppID: row.ID, Nonce: signed.Nonce, ExpiresAt: at.Add(SignatureWindow)})
	if err != nil {
		return nil, fault.Wrap(err, "store nonce")
	}
	if n == 0 {
		return nil, fault.Unauthorizedf("X-App-Nonce was used already; every signed request needs a new one")
	}
	p := &Principal{Kind: KindAppServer, TenantID: row.TenantID, App: &App{ID: row.ID, TenantID: row.TenantID, Key: row.AppKey}}
	return p, checkApp(row, req)
}

// attachApp resolves the app a route names and holds its tenant's and service's switches.
func (a *Authenticator) attachApp(ctx context.Context, p *Principal, req Requirement, key string) error {
	row, err := a.q.GetAppForAuth(ctx, db.GetAppForAuthParams{ServiceType: req.Service, AppKey: key})
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return fault.NotFoundf("no app has the key %s", key)
	case err != nil:
		return fault.Wrap(err, "load app")
	}
	p.App = &App{ID: row.ID, TenantID: row.TenantID, Key: row.AppKey}
	if p.Kind == KindOps { // operators may look at a disabled tenant's apps
		return checkService(row, req)
	}
	return checkApp(row, req)
}

func checkApp(row db.GetAppForAuthRow, req Requirement) error {
	if row.TenantStatus != "ENABLED" {
		return fault.Forbiddenf("the tenant of app %s is disabled", row.AppKey)
	}
	return checkService(row, req)
}

func checkService(row db.GetAppForAuthRow, req Requirement) error {
	if req.Service != "" && (row.ServiceEnabled == nil || !*row.ServiceEnabled) {
		return fault.Forbiddenf("the %s service is disabled for app %s", req.Service, row.AppKey)
	}
	return nil
}

func readOnly(method string) bool {
	return method == "GET" || method == "HEAD" || method == "OPTIONS"
}
