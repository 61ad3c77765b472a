package im

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/fault"
	"github.com/xuqmgroup/xuqm/internal/idcursor"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// The search index is kept off the send path: indexing never slows or blocks a send, and a
// message is searchable within 2 seconds of being stored. A send stores its message's search
// text in im_messages and nothing else; a batch indexer, following a durable cursor over
// message ids, writes the grams of many messages at a time into im_message_search, whose GIN
// index is then maintained by the indexer's statement and never by a send's (one GIN
// pending-list flush once took 177 ms inside a send).
//
// Why a cursor loop and not a River job per message: a job is a row written, and later
// deleted, for every send, on the send path and in the same hot table for every sender; the
// cursor costs a send nothing, and the indexer reads what the sends wrote anyway. The
// cursor (internal/idcursor) keeps the ids it passed without seeing, drawn by sends not yet
// committed, as gaps to look up again; no send statement runs longer than its gap timeout
// (the queue's own bound is storeTimeout).
//
// A message is searchable within one pass of being stored: a send wakes the indexer of
// its instance, which otherwise looks every searchInterval; on several instances they take
// turns through the cursor row's lock. A pass starts searchPause at least after the one
// before (unless that one found a full batch): under load the sends would otherwise wake
// it for every few messages, and a pass costs six statements and a commit however few it
// indexes. Ten passes a second, each indexing a tenth of a second's messages, are well
// within the 2 s the design allows, and cost the sends less than two larger ones: a pass's
// burst of gram making and GIN inserts takes CPU from the sends beside it (on two cores at
// 1,000 sends a second, send→delivery p99 was 20-29 ms with passes every 500 ms, 13-20 ms
// every 100 ms, 16 ms with no indexer; make bench's one-to-one scenario).
//
// A pass takes at most searchBatch messages, and another follows at once when it found
// that many. The batch is kept well below the rows the planner expects after the cursor
// when im_messages has no statistics yet (a third of the table, on a server whose messages
// come faster than autovacuum's first ANALYZE): with 5,000, the planner read the whole
// table and sorted it at every pass, 247 times in a 25 s run of make bench, a cost that
// grew with every message stored (TestIndexerFollowsItsCursorByTheIndex).
const (
	searchInterval = 250 * time.Millisecond
	searchPause    = 100 * time.Millisecond
	searchBatch    = 500
)

// wakeIndexer tells the indexer that messages were stored; it never waits.
func (s *Service) wakeIndexer() {
	select {
	case s.indexWake <- struct{}{}:
	default:
	}
}

// RunSearchIndexer indexes stored messages for search until ctx ends. Run it once per
// instance, in the background; until it runs, sends work and searches miss new messages.
func (s *Service) RunSearchIndexer(ctx context.Context) {
	t := time.NewTicker(searchInterval)
	defer t.Stop()
	for {
		n, err := s.IndexSearch(ctx)
		if err != nil && ctx.Err() == nil {
			s.opts.Log.Warn("index messages for search", "err", err)
		}
		if n >= searchBatch && err == nil {
			continue // more are waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(searchPause):
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.indexWake:
		}
	}
}

// IndexSearch runs one pass of the indexer: it indexes up to a batch of the messages not
// indexed yet and returns how many it looked at. It does nothing while another instance's
// indexer holds the cursor.
func (s *Service) IndexSearch(ctx context.Context) (int, error) {
	looked := 0
	err := postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.QueriesPlannedEachRun(tx) // for im_messages' size now
		cur, err := q.LockSearchCursor(ctx)
		if noRows(err) {
			return nil
		}
		if err != nil {
			return fault.Wrap(err, "lock search cursor")
		}
		rows, err := q.ListMessagesToIndex(ctx, db.ListMessagesToIndexParams{AfterID: cur.IndexedTo, GapIds: cur.Gaps, MaxRows: searchBatch})
		if err != nil {
			return fault.Wrap(err, "load messages to index")
		}
		looked = len(rows)
		var in db.InsertMessageSearchParams
		for _, r := range rows {
			grams := textGrams(r.SearchText)
			if len(grams) == 0 {
				continue
			}
			in.MessageIds = append(in.MessageIds, r.ID)
			in.AppIds = append(in.AppIds, r.AppID)
			in.ChatIds = append(in.ChatIds, r.ChatID)
			in.CreatedAts = append(in.CreatedAts, r.CreatedAt)
			in.Grams = append(in.Grams, strings.Join(grams, " "))
		}
		if len(in.MessageIds) > 0 {
			if err := q.InsertMessageSearch(ctx, in); err != nil {
				return fault.Wrap(err, "index messages")
			}
		}
		at := idcursor.Cursor{To: cur.IndexedTo, Gaps: cur.Gaps, GapsSeen: cur.GapsSeen}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		next := at.Next(ids, s.now())
		if !at.Moved(next) {
			return nil
		}
		if err := q.MoveSearchCursor(ctx, db.MoveSearchCursorParams{IndexedTo: next.To, Gaps: next.Gaps, GapsSeen: next.GapsSeen}); err != nil {
			return fault.Wrap(err, "move search cursor")
		}
		return nil
	})
	return looked, err
}
