package httpapi

import (
	"net/http"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/realtime"
)

// IMWebSocket serves /ws/im: it authenticates ?token= as the contract's imTokenQuery
// scheme (refusing with the error envelope, 401 or 403, before any upgrade) and hands
// the connection to the hub.
func IMWebSocket(authn *auth.Authenticator, hub *realtime.Hub) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		p, err := authn.Authenticate(r.Context(), auth.Requirement{Schemes: []auth.Scheme{auth.SchemeIMQuery}, Service: "IM"},
			auth.Credentials{QueryToken: token, Method: http.MethodGet})
		if err != nil {
			writeError(w, r, err)
			return
		}
		claims, err := authn.Tokens().Parse(token)
		if err != nil {
			writeError(w, r, err)
			return
		}
		s := realtime.Session{User: im.User{AppID: p.App.ID, UserID: p.UserID}, Addr: auth.ClientAddr(r.Context())}
		if claims.ExpiresAt != nil {
			s.ExpiresAt = claims.ExpiresAt.Time
		}
		if err := hub.Serve(w, r, s); err != nil {
			writeError(w, r, err)
		}
	})
}
