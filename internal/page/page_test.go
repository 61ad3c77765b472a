package page

import (
	"slices"
	"strconv"
	"testing"
)

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

// A Request not built by New (a service called directly) is served within the limits too.
func TestServed(t *testing.T) {
	cases := []struct {
		r             Request
		limit, offset int32
	}{
		{Request{}, 20, 0},
		{Request{Number: 2}, 20, 40},
		{Request{Number: -3, Size: -1}, 20, 0},
		{Request{Number: 1, Size: 1000}, 100, 100},
		{Request{Number: 4, Size: 7}, 7, 28},
	}
	for _, c := range cases {
		if c.r.Limit() != c.limit || c.r.Offset() != c.offset {
			t.Errorf("%+v: limit %d offset %d, want %d %d", c.r, c.r.Limit(), c.r.Offset(), c.limit, c.offset)
		}
		p := Of[int](c.r, nil, 0)
		if p.Size != c.limit || p.Number*p.Size != c.offset {
			t.Errorf("%+v: page %d size %d, want size %d at offset %d", c.r, p.Number, p.Size, c.limit, c.offset)
		}
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

func TestSlice(t *testing.T) {
	all := []int{0, 1, 2, 3, 4, 5, 6}
	cases := []struct {
		r    Request
		want []int
	}{
		{Request{Size: 3}, []int{0, 1, 2}},
		{Request{Number: 2, Size: 3}, []int{6}},
		{Request{Number: 3, Size: 3}, []int{}},
		{Request{}, all},
	}
	for _, c := range cases {
		p := Slice(c.r, all)
		if !slices.Equal(p.Items, c.want) || p.Items == nil || p.Total != 7 {
			t.Errorf("%+v: %v of %d, want %v of 7", c.r, p.Items, p.Total, c.want)
		}
	}
	// The page does not share spare capacity with the list: appending to it leaves the list alone.
	p := Slice(Request{Size: 2}, all)
	_ = append(p.Items, 99)
	if all[2] != 2 {
		t.Errorf("appending to a page changed the list: %v", all)
	}
}

func TestMap(t *testing.T) {
	p := Map(Of(Request{Number: 1, Size: 2}, []int{4, 5}, 9), strconv.Itoa)
	if !slices.Equal(p.Items, []string{"4", "5"}) || p.Number != 1 || p.Size != 2 || p.Total != 9 || p.Pages() != 5 {
		t.Errorf("mapped page %+v", p)
	}
	if empty := Map(Page[int]{}, strconv.Itoa); empty.Items == nil {
		t.Error("a mapped empty page has nil Items")
	}
}
