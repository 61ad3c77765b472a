// Package idcursor is a durable reader's position over rows numbered by an identity column,
// such as im_messages.id, read in id order by a background worker (the search indexer, the
// offline push) instead of a job per row written: a cursor costs the writers nothing.
//
// What such a cursor must handle is that ids are drawn before their transactions commit, so
// a later id can be visible before an earlier one. An id the reader passes without seeing is
// kept as a gap and looked up again each pass, until it shows up or GapTimeout has passed (a
// writer rolled back, or drew an id and stored nothing). No send statement runs that long.
package idcursor

import (
	"slices"
	"time"
)

const (
	// GapTimeout is how long a missing id is looked for.
	GapTimeout = 5 * time.Minute
	// MaxGaps bounds the gaps kept; beyond it the oldest are given up.
	MaxGaps = 100_000
)

// Cursor is a position: every id up to To has been read, except Gaps, each first missed at
// the time of the same index in GapsSeen.
type Cursor struct {
	To       int64
	Gaps     []int64
	GapsSeen []time.Time
}

// Next is the cursor after a pass that found ids (in increasing order, the gaps included):
// past the highest id seen, with the ids skipped on the way as gaps, and without the gaps
// found or given up.
func (c Cursor) Next(ids []int64, now time.Time) Cursor {
	found := make(map[int64]bool, len(ids))
	next := Cursor{To: c.To}
	for _, id := range ids {
		found[id] = true
		if id > c.To {
			for g := next.To + 1; g < id && len(next.Gaps) < MaxGaps; g++ {
				next.Gaps, next.GapsSeen = append(next.Gaps, g), append(next.GapsSeen, now)
			}
			next.To = id
		}
	}
	var kept Cursor
	for i, id := range c.Gaps {
		if !found[id] && i < len(c.GapsSeen) && now.Sub(c.GapsSeen[i]) < GapTimeout {
			kept.Gaps, kept.GapsSeen = append(kept.Gaps, id), append(kept.GapsSeen, c.GapsSeen[i])
		}
	}
	next.Gaps, next.GapsSeen = append(kept.Gaps, next.Gaps...), append(kept.GapsSeen, next.GapsSeen...)
	if next.Gaps == nil {
		next.Gaps, next.GapsSeen = []int64{}, []time.Time{}
	}
	if len(next.Gaps) > MaxGaps { // the oldest go first
		drop := len(next.Gaps) - MaxGaps
		next.Gaps, next.GapsSeen = next.Gaps[drop:], next.GapsSeen[drop:]
	}
	return next
}

// Moved reports whether next differs from c, that is whether it must be written.
func (c Cursor) Moved(next Cursor) bool {
	return next.To != c.To || !slices.Equal(next.Gaps, c.Gaps)
}
