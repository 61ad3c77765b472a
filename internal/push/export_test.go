package push

import "time"

// SetRate sets the send limit and the clock it is counted on.
func (s *Service) SetRate(limit int, window time.Duration, now func() time.Time) {
	s.limit, s.window, s.now = limit, window, now
}
