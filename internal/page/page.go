// Package page is the paging of lists: page counted from 0, size 20 by default and at most 100
// (a larger size is served as 100, not refused), as the contract's Page and Size parameters say.
package page

// Size limits.
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Request is the page a caller asks for.
type Request struct {
	Number int32 // from 0
	Size   int32
}

// New reads the optional page and size parameters, with the defaults and limits.
func New(number, size *int32) Request {
	r := Request{Size: DefaultSize}
	if number != nil && *number > 0 {
		r.Number = *number
	}
	if size != nil && *size > 0 {
		r.Size = min(*size, MaxSize)
	}
	return r
}

// Offset is the number of items before the page.
func (r Request) Offset() int32 { return r.Number * r.Size }

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
	return Page[T]{Items: items, Number: r.Number, Size: r.Size, Total: total}
}

// Pages is how many pages the whole list has.
func (p Page[T]) Pages() int32 {
	if p.Size <= 0 {
		return 0
	}
	return int32((p.Total + int64(p.Size) - 1) / int64(p.Size))
}
