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

func TestSetsMaxConns(t *testing.T) {
	tests := []struct {
		dsn  string
		want bool
	}{
		{"postgres://u@h/db?sslmode=disable", false},
		{"postgres://u@h/db?sslmode=disable&pool_max_conns=32", true},
		{"postgresql://h/db?pool_max_conns=2", true},
		{"postgres://u:pool_max_conns=3@h/db", false},
		{"host=h dbname=db", false},
		{"host=h pool_max_conns=5 dbname=db", true},
		{"pool_max_conns = 5", true},
		{"host=h password=xpool_max_conns=5", false},
	}
	for _, tt := range tests {
		if got := setsMaxConns(tt.dsn); got != tt.want {
			t.Errorf("setsMaxConns(%q) = %v, want %v", tt.dsn, got, tt.want)
		}
	}
}
