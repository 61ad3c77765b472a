package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/xuqmgroup/xuqm/gen/api"
	"github.com/xuqmgroup/xuqm/internal/page"
)

// The success helpers write what a hand-written envelope wrote: the same bytes on the wire.
func TestSuccessEnvelopes(t *testing.T) {
	same := func(name string, got, want any, wantJSON string) {
		t.Helper()
		g, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		w := []byte(wantJSON)
		if want != nil {
			w, _ = json.Marshal(want)
		}
		if string(g) != string(w) || string(g) != wantJSON {
			t.Errorf("%s:\n got %s\nwant %s\n  or %s", name, g, w, wantJSON)
		}
	}
	tok := api.Token{Token: "t"}
	same("data", success[api.ImLogin200JSONResponse](tok),
		api.ImLogin200JSONResponse{Code: 200, Status: "0", Message: "success", Data: tok},
		`{"code":200,"data":{"expiresAt":"0001-01-01T00:00:00Z","token":"t"},"message":"success","status":"0"}`)
	same("empty", successEmpty[api.DeleteFriend200JSONResponse](),
		api.DeleteFriend200JSONResponse{Code: 200, Status: "0", Message: "success"},
		`{"code":200,"data":null,"message":"success","status":"0"}`)

	p := page.Of(page.Request{Number: 1, Size: 2}, []string{"a", "b"}, 5)
	item := func(s string) api.ImAccountPublic { return api.ImAccountPublic{UserId: s} }
	same("page", successPage[api.SearchImAccounts200JSONResponse](p, item),
		api.SearchImAccounts200JSONResponse{Code: 200, Status: "0", Message: "success", Data: api.ImAccountPublicPage{
			Content: []api.ImAccountPublic{{UserId: "a"}, {UserId: "b"}}, Page: 1, Size: 2, TotalElements: 5, TotalPages: 3}},
		`{"code":200,"data":{"content":[{"avatarUrl":"","nickname":"","userId":"a"},{"avatarUrl":"","nickname":"","userId":"b"}],"page":1,"size":2,"totalElements":5,"totalPages":3},"message":"success","status":"0"}`)
	// A page type declared inline in its envelope (push's) is built the same way.
	empty := successPage[api.ListPushDevices200JSONResponse](page.Of[int](page.Request{}, nil, 0), func(int) api.PushDevice { return api.PushDevice{} })
	same("inline page", empty, nil,
		`{"code":200,"data":{"content":[],"page":0,"size":20,"totalElements":0,"totalPages":0},"message":"success","status":"0"}`)
}
