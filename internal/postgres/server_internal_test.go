package postgres

import "testing"

func TestWithDatabase(t *testing.T) {
	tests := []struct{ dsn, db, want string }{
		{"postgres://u:p@h:5/a?sslmode=disable", "b", "postgres://u:p@h:5/b?sslmode=disable"},
		{"postgresql://h", "x_1", "postgresql://h/x_1"},
		{"host=h dbname=a", "b", "host=h dbname=a dbname='b'"},
		{"host=h", "it's", `host=h dbname='it\'s'`},
	}
	for _, tt := range tests {
		if got := withDatabase(tt.dsn, tt.db); got != tt.want {
			t.Errorf("withDatabase(%q, %q) = %q, want %q", tt.dsn, tt.db, got, tt.want)
		}
	}
}
