package im

import (
	"slices"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/gen/db"
)

func TestMoveCursorKeepsGapsUntilFoundOrStale(t *testing.T) {
	now := time.Date(2026, 4, 27, 10, 0, 0, 0, time.UTC)
	rows := func(ids ...int64) []db.ListMessagesToIndexRow {
		out := make([]db.ListMessagesToIndexRow, len(ids))
		for i, id := range ids {
			out[i].ID = id
		}
		return out
	}
	cur := moveCursor(db.LockSearchCursorRow{IndexedTo: 1}, rows(2, 5, 6), now)
	if cur.IndexedTo != 6 || !slices.Equal(cur.Gaps, []int64{3, 4}) {
		t.Fatalf("after 2, 5, 6: %+v", cur)
	}
	// 4 shows up; 3 is still missing and stays.
	cur = moveCursor(cur, rows(4, 7), now.Add(time.Second))
	if cur.IndexedTo != 7 || !slices.Equal(cur.Gaps, []int64{3}) || !cur.GapsSeen[0].Equal(now) {
		t.Fatalf("after 4, 7: %+v", cur)
	}
	// An empty pass changes nothing until the gap is older than any send can take.
	if next := moveCursor(cur, nil, now.Add(time.Minute)); !slices.Equal(next.Gaps, []int64{3}) || next.IndexedTo != 7 {
		t.Fatalf("an empty pass: %+v", next)
	}
	if next := moveCursor(cur, nil, now.Add(gapTimeout)); len(next.Gaps) != 0 || next.IndexedTo != 7 {
		t.Fatalf("a stale gap is kept: %+v", next)
	}
}
