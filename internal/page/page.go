// Package page is the paging of lists: page counted from 0, size 20 by default and at most 100
// (a larger size is served as 100, not refused), as the contract's Page and Size parameters say.
// Every list takes a Request and answers a Page built here, so that the rules live in one place:
// a service reads its rows with Limit and Offset and returns Of (or Slice, for a list it holds
// whole).
package page

// Size limits.
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Request is the page a caller asks for. Its zero value asks for the first page of the default
// size; out-of-range values are served within the limits (a size above MaxSize as MaxSize, not
// refused: clients ask for "as many as you give").
type Request struct {
	Number int32 // from 0
	Size   int32
}

// New reads the optional page and size parameters of a request.
func New(number, size *int32) Request {
	var r Request
	if number != nil {
		r.Number = *number
	}
	if size != nil {
		r.Size = *size
	}
	return r.Served()
}

// Served is the page that is served for r: r within the limits.
func (r Request) Served() Request {
	if r.Number < 0 {
		r.Number = 0
	}
	if r.Size <= 0 {
		r.Size = DefaultSize
	}
	r.Size = min(r.Size, MaxSize)
	return r
}

// Limit is the most items the page holds.
func (r Request) Limit() int32 { return r.Served().Size }

// Offset is the number of items before the page.
func (r Request) Offset() int32 {
	s := r.Served()
	return s.Number * s.Size
}

// Page is one page of a list.
type Page[T any] struct {
	Items  []T
	Number int32
	Size   int32
	Total  int64 // items in the whole list
}

// Of makes the page r of a list of total items.
func Of[T any](r Request, items []T, total int64) Page[T] {
	if items == nil {
		items = []T{}
	}
	r = r.Served()
	return Page[T]{Items: items, Number: r.Number, Size: r.Size, Total: total}
}

// Slice is the page r cut from a whole list.
func Slice[T any](r Request, all []T) Page[T] {
	from := min(int(r.Offset()), len(all))
	to := min(from+int(r.Limit()), len(all))
	return Of(r, all[from:to:to], int64(len(all)))
}

// Map converts the items of a page.
func Map[T, U any](p Page[T], f func(T) U) Page[U] {
	items := make([]U, len(p.Items))
	for i, v := range p.Items {
		items[i] = f(v)
	}
	return Page[U]{Items: items, Number: p.Number, Size: p.Size, Total: p.Total}
}

// Pages is how many pages the whole list has.
func (p Page[T]) Pages() int32 {
	if p.Size <= 0 {
		return 0
	}
	return int32((p.Total + int64(p.Size) - 1) / int64(p.Size))
}
