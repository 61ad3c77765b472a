package idcursor

import (
	"slices"
	"testing"
	"time"
)

func TestNextKeepsGapsUntilFoundOrStale(t *testing.T) {
	now := time.Date(2026, 4, 27, 10, 0, 0, 0, time.UTC)
	cur := Cursor{To: 1}.Next([]int64{2, 5, 6}, now)
	if cur.To != 6 || !slices.Equal(cur.Gaps, []int64{3, 4}) {
		t.Fatalf("after 2, 5, 6: %+v", cur)
	}
	// 4 shows up; 3 is still missing and stays.
	cur = cur.Next([]int64{4, 7}, now.Add(time.Second))
	if cur.To != 7 || !slices.Equal(cur.Gaps, []int64{3}) || !cur.GapsSeen[0].Equal(now) {
		t.Fatalf("after 4, 7: %+v", cur)
	}
	// An empty pass changes nothing until the gap is older than any send can take.
	if next := cur.Next(nil, now.Add(time.Minute)); !slices.Equal(next.Gaps, []int64{3}) || next.To != 7 || cur.Moved(next) {
		t.Fatalf("an empty pass: %+v", next)
	}
	if next := cur.Next(nil, now.Add(GapTimeout)); len(next.Gaps) != 0 || next.To != 7 || !cur.Moved(next) {
		t.Fatalf("a stale gap is kept: %+v", next)
	}
}
