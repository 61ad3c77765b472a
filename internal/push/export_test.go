package push

import "time"

// SetRate sets the send limit and the clock it is counted on.
func (s *Service) SetRate(limit int, window time.Duration, now func() time.Time) {
	s.limit, s.window, s.now = limit, window, now
}

// SetBeforeCommit makes each pass of the worker run f at the end of its transaction; an
// error rolls the pass back, as a crash before its commit would.
func (o *OfflinePush) SetBeforeCommit(f func() error) { o.beforeCommit = f }
