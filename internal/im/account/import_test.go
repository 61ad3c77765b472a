package account_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/page"
)

func TestImportOne(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_imp_a")
	ctx := t.Context()
	acc, err := w.svc.ImportOne(ctx, server(a), account.Import{UserID: "user_001", Profile: profile("Alice")})
	if err != nil {
		t.Fatal(err)
	}
	if acc.UserID != "user_001" || acc.Nickname != "Alice" {
		t.Errorf("imported %+v", acc)
	}
	_, err = w.svc.ImportOne(ctx, server(a), account.Import{UserID: "user_001", Profile: profile("Other")})
	wantKind(t, err, fault.Conflict)
	if got, _ := w.svc.Get(ctx, user(a, "x"), "user_001"); got.Nickname != "Alice" {
		t.Errorf("a refused import changed the account: %+v", got)
	}
	_, err = w.svc.ImportOne(ctx, server(a), account.Import{UserID: "bad id"})
	wantKind(t, err, fault.Invalid)
}

func TestWhoMayManageAccounts(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_imp_b")
	b := w.newApp(t, "ak_imp_c")
	appA := a.App
	ctx := t.Context()
	allowed := map[string]*auth.Principal{
		"owner":     {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleMain, App: &appA},
		"developer": {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleDeveloper, App: &appA},
		"operator":  {Kind: auth.KindOps, OperatorID: 1, App: &appA},
		"back end":  server(a),
	}
	refused := map[string]*auth.Principal{
		"another tenant":         {Kind: auth.KindTenant, TenantID: b.TenantID, Role: auth.RoleMain, App: &appA},
		"viewer":                 {Kind: auth.KindTenant, TenantID: a.TenantID, Role: auth.RoleViewer, App: &appA},
		"IM user":                user(a, "alice"),
		"another app's back end": {Kind: auth.KindAppServer, TenantID: b.TenantID, App: &appA},
	}
	for name, p := range allowed {
		id := "by_" + strings.ReplaceAll(name, " ", "_")
		if _, err := w.svc.ImportOne(ctx, p, account.Import{UserID: id}); err != nil {
			t.Errorf("%s cannot import: %v", name, err)
		}
		if _, err := w.svc.ImportBatch(ctx, p, []account.Import{{UserID: id + "_2"}}); err != nil {
			t.Errorf("%s cannot batch import: %v", name, err)
		}
		if err := w.svc.Delete(ctx, p, id); err != nil {
			t.Errorf("%s cannot delete: %v", name, err)
		}
	}
	w.login(t, a, "victim")
	for name, p := range refused {
		_, err := w.svc.ImportOne(ctx, p, account.Import{UserID: "intruder"})
		wantKind(t, err, fault.Forbidden)
		_, err = w.svc.ImportBatch(ctx, p, []account.Import{{UserID: "intruder"}})
		wantKind(t, err, fault.Forbidden)
		err = w.svc.Delete(ctx, p, "victim")
		if !fault.Is(err, fault.Forbidden) {
			t.Errorf("%s: delete gave %v, want forbidden", name, err)
		}
	}
	if ok, _ := w.svc.Exists(ctx, user(a, "x"), "intruder"); ok {
		t.Error("a refused import created the account")
	}
	if ok, _ := w.svc.Exists(ctx, user(a, "x"), "victim"); !ok {
		t.Error("a refused delete deleted the account")
	}
}

func TestImportBatch(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_imp_d")
	ctx := t.Context()
	if _, err := w.svc.ImportOne(ctx, server(a), account.Import{UserID: "old", Profile: account.Profile{
		Nickname: str("Old"), AvatarURL: str("https://example.com/old.png"), Extra: json.RawMessage(`{"a":1}`),
	}}); err != nil {
		t.Fatal(err)
	}
	w.login(t, a, "gone")
	if err := w.svc.Delete(ctx, server(a), "gone"); err != nil {
		t.Fatal(err)
	}
	res, err := w.svc.ImportBatch(ctx, server(a), []account.Import{
		{UserID: "new", Profile: profile("New")},
		{UserID: "old", Profile: profile("Renamed")},
		{UserID: "new", Profile: profile("Twice")},
		{UserID: "bad id"},
		{UserID: "big", Profile: account.Profile{Extra: json.RawMessage(`{"k":"` + strings.Repeat("v", 9000) + `"}`)}},
		{UserID: "gone"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []account.Outcome{account.Created, account.Updated, account.Failed, account.Failed, account.Failed, account.Created}
	for i, it := range res.Items {
		if it.Outcome != want[i] {
			t.Errorf("item %d (%s): %s %q, want %s", i, it.UserID, it.Outcome, it.Message, want[i])
		}
		if (it.Outcome == account.Failed) != (it.Message != "") {
			t.Errorf("item %d: message %q with outcome %s", i, it.Message, it.Outcome)
		}
	}
	if res.Created != 2 || res.Updated != 1 || res.Failed != 3 {
		t.Errorf("counts %+v", res)
	}
	if !strings.Contains(res.Items[2].Message, "twice") {
		t.Errorf("duplicate's message %q", res.Items[2].Message)
	}

	old, _ := w.svc.Get(ctx, user(a, "x"), "old")
	if old.Nickname != "Renamed" || old.AvatarURL != "https://example.com/old.png" {
		t.Errorf("update did not keep the fields left out: %+v", old)
	}
	jsonEqual(t, old.Extra, `{"a":1}`)
	if n, _ := w.svc.Get(ctx, user(a, "x"), "new"); n.Nickname != "New" {
		t.Errorf("the first of a duplicate was not the one applied: %+v", n)
	}
	if ok, _ := w.svc.Exists(ctx, user(a, "x"), "big"); ok {
		t.Error("a failed item was applied")
	}
	gone, err := w.svc.Get(ctx, user(a, "x"), "gone")
	if err != nil {
		t.Fatalf("the deleted account was not brought back: %v", err)
	}
	if gone.Nickname != "" {
		t.Errorf("the re-imported account kept its old profile: %+v", gone)
	}
}

func TestImportBatchLimits(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_imp_e")
	items := make([]account.Import, account.MaxBatch+1)
	for i := range items {
		items[i] = account.Import{UserID: fmt.Sprintf("u%03d", i)}
	}
	_, err := w.svc.ImportBatch(t.Context(), server(a), items)
	wantKind(t, err, fault.Invalid)
	_, err = w.svc.ImportBatch(t.Context(), server(a), nil)
	wantKind(t, err, fault.Invalid)

	res, err := w.svc.ImportBatch(t.Context(), server(a), items[:account.MaxBatch])
	if err != nil || res.Created != account.MaxBatch {
		t.Fatalf("a full batch: %+v %v", res.Created, err)
	}
	// Again: all of them are updates.
	res, err = w.svc.ImportBatch(t.Context(), server(a), items[:account.MaxBatch])
	if err != nil || res.Updated != account.MaxBatch {
		t.Fatalf("the same batch again: %+v %v", res.Updated, err)
	}
}

func TestConcurrentBatchesSharingAccounts(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_imp_f")
	forward := make([]account.Import, 50)
	backward := make([]account.Import, 50)
	for i := range forward {
		forward[i] = account.Import{UserID: fmt.Sprintf("u%02d", i)}
		backward[len(backward)-1-i] = forward[i]
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		batch := forward
		if i%2 == 1 {
			batch = backward
		}
		wg.Go(func() { _, errs[i] = w.svc.ImportBatch(t.Context(), server(a), batch) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// deletions records the accounts deleted (account.Deletions).
type deletions []string

func (d *deletions) AccountDeleted(_ context.Context, appID int64, userID string) {
	*d = append(*d, fmt.Sprint(appID, "/", userID))
}

func TestDeletedAccount(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_del_a")
	ctx := t.Context()
	var kicked deletions
	w.svc = account.New(w.pool, w.authn, account.Options{Deletions: &kicked})
	tok := w.login(t, a, "alice")
	if _, err := w.imUser(ctx, tok.Token, a.Key, "GET"); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Delete(ctx, server(a), "alice"); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(a.ID, "/alice"); len(kicked) != 1 || kicked[0] != want {
		t.Errorf("Deletions got %v, want [%s]", kicked, want)
	}

	// Its token stops at once.
	_, err := w.imUser(ctx, tok.Token, a.Key, "GET")
	wantKind(t, err, fault.Unauthorized)
	// It is gone from reads, search and a second delete.
	_, err = w.svc.Get(ctx, user(a, "bob"), "alice")
	wantKind(t, err, fault.NotFound)
	if ok, _ := w.svc.Exists(ctx, user(a, "bob"), "alice"); ok {
		t.Error("a deleted account exists")
	}
	if found, _ := w.svc.Search(ctx, user(a, "bob"), "alice", page.Request{}); found.Total != 0 {
		t.Errorf("search finds a deleted account: %+v", found)
	}
	wantKind(t, w.svc.Delete(ctx, server(a), "alice"), fault.NotFound)
	// It cannot log in until it is imported again.
	_, err = w.svc.SignedLogin(ctx, signed(a, a.secret, "alice", time.Now(), nonce()))
	wantKind(t, err, fault.Forbidden)

	if _, err := w.svc.ImportOne(ctx, server(a), account.Import{UserID: "alice"}); err != nil {
		t.Fatalf("re-import: %v", err)
	}
	// Logging in right after the re-import gives a token that works; the old one stays dead.
	fresh := w.login(t, a, "alice")
	if _, err := w.imUser(ctx, fresh.Token, a.Key, "GET"); err != nil {
		t.Errorf("the new token is refused: %v", err)
	}
	_, err = w.imUser(ctx, tok.Token, a.Key, "GET")
	wantKind(t, err, fault.Unauthorized)
}

func TestExisting(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_del_b")
	for _, u := range []string{"a", "b", "c"} {
		w.login(t, a, u)
	}
	if err := w.svc.Delete(t.Context(), server(a), "b"); err != nil {
		t.Fatal(err)
	}
	got, err := w.svc.Existing(t.Context(), a.ID, []string{"c", "b", "a", "z"})
	if err != nil || strings.Join(got, ",") != "a,c" {
		t.Errorf("got %v %v", got, err)
	}
}
