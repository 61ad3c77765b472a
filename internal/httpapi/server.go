package httpapi

import (
	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/demo"
	"github.com/xuqmgroup/xuqm/internal/file"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/ops"
	"github.com/xuqmgroup/xuqm/internal/push"
	"github.com/xuqmgroup/xuqm/internal/tenant"
	"github.com/xuqmgroup/xuqm/internal/update"
	"github.com/xuqmgroup/xuqm/internal/webhook"
)

// Server implements the contract's operations: each area's handlers live in <area>_handlers.go
// and translate between the generated types and the area's service.
type Server struct {
	auth       *auth.Authenticator
	im         *im.Service
	imAccounts *account.Service
	webhooks   *webhook.Service
	demo       *demo.Service
	push       *push.Service
	tenant     *tenant.Service
	ops        *ops.Service
	files      *file.Service
	updates    *update.Service
	publicURL  string
}

var _ api.StrictServerInterface = (*Server)(nil)

// Services are the areas' services the handlers call.
type Services struct {
	Auth       *auth.Authenticator
	IM         *im.Service
	IMAccounts *account.Service
	Webhooks   *webhook.Service
	Demo       *demo.Service
	Push       *push.Service
	Tenant     *tenant.Service
	Ops        *ops.Service
	Files      *file.Service
	Updates    *update.Service
	// PublicURL is the base of absolute URLs in responses (XUQM_PUBLIC_URL); empty: the request's.
	PublicURL string
}

// NewServer returns the handlers of every operation.
func NewServer(s Services) *Server {
	return &Server{auth: s.Auth, im: s.IM, imAccounts: s.IMAccounts, webhooks: s.Webhooks, demo: s.Demo, push: s.Push, tenant: s.Tenant, ops: s.Ops,
		files: s.Files, updates: s.Updates, publicURL: s.PublicURL}
}
