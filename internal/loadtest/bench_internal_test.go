package loadtest

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// TestDropDatabaseRemovesTheBenchDatabase: a bench on a shared server leaves no database.
func TestDropDatabaseRemovesTheBenchDatabase(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDBURL(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(ctx) // it exists, and nobody holds it
	u.Path = "/postgres"
	var log bytes.Buffer
	dropDatabase(u.String(), name, &log)
	if log.Len() > 0 {
		t.Fatalf("dropDatabase logged: %s", log.String())
	}
	if conn, err := pgx.Connect(ctx, dbURL); err == nil {
		_ = conn.Close(ctx)
		t.Fatalf("database %s is still there", name)
	}
}
