package account_test

import (
	"testing"

	"github.com/xuqmgroup/xuqm/internal/auth"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/im/account"
	"github.com/xuqmgroup/xuqm/internal/page"
)

func TestSearch(t *testing.T) {
	w := newWorld(t)
	a := w.newApp(t, "ak_search_a")
	ctx := t.Context()
	for _, in := range []account.Import{
		{UserID: "zhang_san", Profile: profile("你好世界")},
		{UserID: "li_si", Profile: profile("世界你好")},
		{UserID: "Alice", Profile: profile("alice in wonderland")},
		{UserID: "malice", Profile: profile("M")},
		{UserID: "bob", Profile: profile("100% Bob")},
		{UserID: "b_b", Profile: profile("bb")},
	} {
		if _, err := w.svc.ImportOne(ctx, server(a), in); err != nil {
			t.Fatal(err)
		}
	}
	public := &auth.Principal{App: &a.App} // the route is public; the gate attaches the app
	ids := func(keyword string, number, size int32) (out []string, total int64) {
		t.Helper()
		p, err := w.svc.Search(ctx, public, keyword, page.Request{Number: number, Size: size})
		if err != nil {
			t.Fatalf("%q: %v", keyword, err)
		}
		for _, acc := range p.Items {
			out = append(out, acc.UserID)
		}
		return out, p.Total
	}
	cases := []struct {
		keyword string
		want    []string
	}{
		{"你好", []string{"zhang_san", "li_si"}}, // a prefix first
		{"世界你", []string{"li_si"}},
		{"ALICE", []string{"Alice", "malice"}}, // exact match first, case ignored
		{"wonder", []string{"Alice"}},
		{"%", []string{"bob"}}, // wildcards are literal
		{"_b", []string{"b_b"}},
		{"nobody", nil},
	}
	for _, c := range cases {
		got, total := ids(c.keyword, 0, 20)
		if len(got) != len(c.want) || int(total) != len(c.want) {
			t.Errorf("%q: got %v (total %d), want %v", c.keyword, got, total, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %v, want %v", c.keyword, got, c.want)
				break
			}
		}
	}

	// Pages: "i" is in alice, malice, li_si, wonderland…
	all, total := ids("i", 0, 100)
	first, _ := ids("i", 0, 2)
	second, _ := ids("i", 1, 2)
	beyond, beyondTotal := ids("i", 50, 2)
	if int(total) != len(all) || len(first) != 2 || len(beyond) != 0 || beyondTotal != total {
		t.Errorf("paging: all %v total %d first %v beyond %v/%d", all, total, first, beyond, beyondTotal)
	}
	if len(second) > 0 && second[0] == first[0] {
		t.Errorf("page 1 repeats page 0: %v %v", first, second)
	}

	// Out-of-range paging is served within the limits, as on every list (internal/page).
	for _, c := range []struct {
		r            page.Request
		number, size int32
	}{{page.Request{Size: 1000}, 0, 100}, {page.Request{Number: -1, Size: 0}, 0, 20}} {
		if got, err := w.svc.Search(ctx, public, "a", c.r); err != nil || got.Number != c.number || got.Size != c.size {
			t.Errorf("%+v: served page %d size %d, %v; want %d %d", c.r, got.Number, got.Size, err, c.number, c.size)
		}
	}
	_, err := w.svc.Search(ctx, public, "  ", page.Request{})
	wantKind(t, err, fault.Invalid)
	if fe := fault.As(err); len(fe.Fields) != 1 || fe.Fields[0].Field != "keyword" {
		t.Errorf("blank keyword: fields %+v", fe.Fields)
	}
}
