package auth

// Scheme is a security scheme of the OpenAPI document.
type Scheme string

// The schemes of openapi.yaml's components.securitySchemes.
const (
	SchemeTenant    Scheme = "tenantJwt"
	SchemeOps       Scheme = "opsJwt"
	SchemeIM        Scheme = "imJwt"
	SchemeDemo      Scheme = "demoJwt"
	SchemeSignature Scheme = "appSignature"
	SchemeIMQuery   Scheme = "imTokenQuery"
)

// Requirement is what a route accepts: any one of Schemes (none: public), and the service
// (IM, PUSH, FILE, UPDATE) it belongs to, whose switch and key apply.
type Requirement struct {
	Schemes []Scheme
	Service string
	// Optional: the route is public too (an empty security requirement beside Schemes); a
	// request without credentials is served as on a public route, one with them must pass.
	Optional bool
}

func (r Requirement) allows(s Scheme) bool {
	for _, x := range r.Schemes {
		if x == s {
			return true
		}
	}
	return false
}

// signsWithAppSecret: a route that takes only a signature (IM login) is signed with the
// AppSecret (the contract's app-server signature); app-admin routes with the service's own key.
func (r Requirement) signsWithAppSecret() bool {
	return len(r.Schemes) == 1 && r.Schemes[0] == SchemeSignature
}

// App is the app a request acts on.
type App struct {
	ID       int64
	TenantID int64
	Key      string
}

// Principal is who a request acts as. Kind is empty on public routes.
type Principal struct {
	Kind       Kind
	TenantID   int64  // tenant tokens; the app's tenant for app-server requests
	AccountID  int64  // tenant account (main or sub-account)
	Role       string // tenant account role: MAIN, ADMIN, DEVELOPER, VIEWER
	OperatorID int64
	UserID     string // IM user, or demo user name
	// App is the app the route names (appId query, X-App-Key header, or the IM token's app),
	// checked against the caller; nil when the route names none.
	App *App
}

// Roles of tenant accounts.
const (
	RoleMain      = "MAIN"
	RoleAdmin     = "ADMIN"
	RoleDeveloper = "DEVELOPER"
	RoleViewer    = "VIEWER"
)

// CanManageApp tells whether the principal may act on an app of tenantID as its owner would:
// the owner's accounts, operators and the app's own back end.
func (p *Principal) CanManageApp(tenantID int64) bool {
	switch p.Kind {
	case KindOps:
		return true
	case KindTenant, KindAppServer:
		return p.TenantID == tenantID
	}
	return false
}
