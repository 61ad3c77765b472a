package postgres

import "testing"

func TestLikePatterns(t *testing.T) {
	if got := ContainsPattern(` 50%_a\ `); got != `%50\%\_a\\%` {
		t.Errorf("ContainsPattern = %q", got)
	}
	if got := ContainsPattern("  "); got != "" {
		t.Errorf("blank keyword: %q", got)
	}
	if got := EscapeLike(`你好_%`); got != `你好\_\%` {
		t.Errorf("EscapeLike = %q", got)
	}
}
