package account_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/page"
)

func profile(nickname string) account.Profile { return account.Profile{Nickname: &nickname} }

func TestUpdateOwnProfileOnly(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_prof_a")
	ctx := t.Context()
	w.login(t, a, "alice")
	w.login(t, a, "bob")

	got, err := w.svc.Update(ctx, user(a, "alice"), "alice", account.Profile{
		Nickname: str("爱丽丝"), AvatarURL: str("https://example.com/a.png"), Extra: json.RawMessage(`{"city":"Shanghai"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Nickname != "爱丽丝" || got.AvatarURL != "https://example.com/a.png" {
		t.Errorf("after update: %+v", got)
	}
	jsonEqual(t, got.Extra, `{"city":"Shanghai"}`)

	// Fields left out keep their value; extra is replaced whole.
	got, err = w.svc.Update(ctx, user(a, "alice"), "alice", account.Profile{Extra: json.RawMessage(`{"lang":"zh"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Nickname != "爱丽丝" || got.AvatarURL != "https://example.com/a.png" {
		t.Errorf("left-out fields changed: %+v", got)
	}
	jsonEqual(t, got.Extra, `{"lang":"zh"}`)

	// Anyone of the app reads it.
	read, err := w.svc.Get(ctx, user(a, "bob"), "alice")
	if err != nil || read.Nickname != "爱丽丝" {
		t.Fatalf("bob reads alice: %+v %v", read, err)
	}

	_, err = w.svc.Update(ctx, user(a, "bob"), "alice", profile("mallory"))
	wantKind(t, err, fault.Forbidden)
	_, err = w.svc.Update(ctx, server(a), "alice", profile("mallory"))
	wantKind(t, err, fault.Forbidden)
	if read, _ := w.svc.Get(ctx, user(a, "bob"), "alice"); read.Nickname != "爱丽丝" {
		t.Errorf("a refused update changed the profile: %+v", read)
	}
}

func TestUpdateRefusesBadFields(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_prof_b")
	w.login(t, a, "alice")
	cases := []struct {
		field  string
		change account.Profile
	}{
		{"nickname", profile(strings.Repeat("字", 65))},
		{"avatarUrl", account.Profile{AvatarURL: str("https://x/" + strings.Repeat("a", 2048))}},
		{"extra", account.Profile{Extra: json.RawMessage(`[1,2]`)}},
		{"extra", account.Profile{Extra: json.RawMessage(`{"k":"` + strings.Repeat("v", 8200) + `"}`)}},
	}
	for _, c := range cases {
		_, err := w.svc.Update(t.Context(), user(a, "alice"), "alice", c.change)
		wantKind(t, err, fault.Invalid)
		if fe := fault.As(err); len(fe.Fields) != 1 || fe.Fields[0].Field != c.field {
			t.Errorf("%s: fields %+v", c.field, fe.Fields)
		}
	}
	// 64 characters of Chinese is within the limit, although more than 64 bytes.
	if _, err := w.svc.Update(t.Context(), user(a, "alice"), "alice", profile(strings.Repeat("字", 64))); err != nil {
		t.Error(err)
	}
}

func TestAccountsOfAnotherAppAreNotSeen(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_prof_c")
	b := w.newApp(t, "ak_prof_d")
	w.login(t, a, "alice")
	_, err := w.svc.Get(t.Context(), user(b, "bob"), "alice")
	wantKind(t, err, fault.NotFound)
	if ok, err := w.svc.Exists(t.Context(), user(b, "bob"), "alice"); err != nil || ok {
		t.Errorf("exists in the other app: %v %v", ok, err)
	}
	if ok, err := w.svc.Exists(t.Context(), user(a, "bob"), "alice"); err != nil || !ok {
		t.Errorf("exists in its own app: %v %v", ok, err)
	}
	found, err := w.svc.Search(t.Context(), &auth.Principal{App: &b.App}, "alice", page.Request{})
	if err != nil || found.Total != 0 {
		t.Errorf("search of the other app: %+v %v", found, err)
	}
}
