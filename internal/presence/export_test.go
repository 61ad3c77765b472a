package presence

// Crash stops the tracker as a crashed instance stops: its rows stay, no longer refreshed.
func (t *Tracker) Crash() {
	close(t.stop)
	<-t.done
}
