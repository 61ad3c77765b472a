package postgres

import "strings"

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// EscapeLike makes s match itself in a LIKE or ILIKE pattern (backslash is the escape).
func EscapeLike(s string) string { return likeEscaper.Replace(s) }

// ContainsPattern is the ILIKE pattern that matches keyword anywhere, literally; empty when
// the keyword is blank.
func ContainsPattern(keyword string) string {
	keyword = strings.TrimSpace(keyword)
	if keyword == "" {
		return ""
	}
	return "%" + EscapeLike(keyword) + "%"
}
