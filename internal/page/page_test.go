package page

import "testing"

func ptr(v int32) *int32 { return &v }

func TestNew(t *testing.T) {
	cases := []struct {
		number, size *int32
		want         Request
	}{
		{nil, nil, Request{0, 20}},
		{ptr(3), ptr(10), Request{3, 10}},
		{ptr(-1), ptr(0), Request{0, 20}},
		{ptr(1), ptr(500), Request{1, 100}},
	}
	for _, c := range cases {
		if got := New(c.number, c.size); got != c.want {
			t.Errorf("New(%v, %v) = %+v, want %+v", c.number, c.size, got, c.want)
		}
	}
	if off := (Request{Number: 2, Size: 20}).Offset(); off != 40 {
		t.Errorf("offset %d, want 40", off)
	}
}

func TestPages(t *testing.T) {
	for _, c := range []struct {
		total int64
		want  int32
	}{{0, 0}, {1, 1}, {20, 1}, {21, 2}, {100, 5}} {
		p := Of[int](Request{Size: 20}, nil, c.total)
		if p.Pages() != c.want {
			t.Errorf("total %d: %d pages, want %d", c.total, p.Pages(), c.want)
		}
		if p.Items == nil {
			t.Error("Items is nil; a page's content is always a list")
		}
	}
}
