// Package audit records who did what on the tenant and operations platforms (table audit_log).
package audit

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
)

// Actor kinds beyond the principal's: the server itself, and callers not signed in.
const (
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// Entry is one action.
type Entry struct {
	Action     string // such as "app.create", "tenant.disable"
	TenantID   int64  // the tenant acted on or for; 0 when none
	TargetType string
	TargetID   int64
	Detail     map[string]any
}

// Record writes e as done by p (nil: by the server itself, or by an anonymous caller when
// p has no kind), from the address of the request ctx serves (auth.ClientAddr; none for work
// the server starts itself).
func Record(ctx context.Context, q db.Querier, p *auth.Principal, e Entry) error {
	arg := db.InsertAuditEntryParams{
		ActorKind: ActorSystem, Action: e.Action, TargetType: e.TargetType, ClientIp: auth.ClientAddr(ctx), Detail: []byte("{}"),
	}
	if e.TargetID != 0 {
		arg.TargetID = strconv.FormatInt(e.TargetID, 10)
	}
	if e.TenantID != 0 {
		arg.TenantID = &e.TenantID
	}
	if p != nil {
		switch p.Kind {
		case auth.KindTenant:
			arg.ActorKind, arg.ActorID = string(auth.KindTenant), &p.AccountID
		case auth.KindOps:
			arg.ActorKind, arg.ActorID = string(auth.KindOps), &p.OperatorID
		default:
			arg.ActorKind = ActorAnonymous
		}
	}
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fault.Wrap(err, "encode audit detail")
		}
		arg.Detail = b
	}
	return fault.Wrap(q.InsertAuditEntry(ctx, arg), "record audit entry")
}
