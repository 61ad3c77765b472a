package im

import "github.com/xuqmgroup/xuqm/internal/page"

// HistoryPageBytes is the byte budget of a history page's message contents, as JSON: a page
// that would carry more is served smaller (at least one message).
const HistoryPageBytes = 1 << 20

// encodedLen is how many bytes s takes as a JSON string at most (quotes, escapes; <, > and &
// counted as the six that an HTML-safe encoder writes).
func encodedLen(s string) int {
	n := 2
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			n += 2
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			n += 6
		default:
			n++
		}
	}
	return n
}

// withinBudget cuts a page whose contents pass HistoryPageBytes, keeping the page consistent:
// the served size divides the offset, so that (page, size) of the answer name exactly the
// slice served and the next page follows on without a gap.
func withinBudget(p page.Page[Message]) page.Page[Message] {
	total, n := 0, 0
	for _, m := range p.Items {
		total += encodedLen(m.Content) + 256 // the other fields
		if total > HistoryPageBytes && n > 0 {
			break
		}
		n++
	}
	if n == len(p.Items) {
		return p
	}
	offset := p.Number * p.Size
	served := int32(n)
	for served > 1 && offset%served != 0 {
		served--
	}
	if served == 0 {
		served = 1
	}
	p.Items, p.Number, p.Size = p.Items[:served], offset/served, served
	return p
}
