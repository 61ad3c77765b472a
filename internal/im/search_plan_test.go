package im_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/im"
	"github.com/xuqmgroup/xuqm/internal/page"
	"github.com/xuqmgroup/xuqm/internal/postgres/pgtest"
)

// queryLog remembers the statements a pool runs, so that a test can EXPLAIN them.
type queryLog struct {
	mu   sync.Mutex
	sql  []string
	args [][]any
}

func (l *queryLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	l.sql, l.args = append(l.sql, d.SQL), append(l.args, d.Args)
	l.mu.Unlock()
	return ctx
}

func (l *queryLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// tracedDB is a fresh database whose pool logs the statements it runs.
func tracedDB(t *testing.T) (*pgxpool.Pool, *queryLog) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDBURL(t))
	if err != nil {
		t.Fatal(err)
	}
	log := &queryLog{}
	cfg.ConnConfig.Tracer = log
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, log
}

// TestSearchUsesTheIndex fills 100,000 indexed messages and checks that cloud search, for
// Chinese and Latin keywords, reads im_message_search through its gram index and
// im_messages by id, never by a sequential scan.
func TestSearchUsesTheIndex(t *testing.T) {
	ctx := context.Background()
	pool, log := tracedDB(t)
	app := planApp(t, pool, "ak_plan")
	for _, stmt := range []string{
		`INSERT INTO im_chats (app_id, chat_type, chat_key, last_seq)
		 SELECT $1, 'SINGLE', 'alice u' || j, 200 FROM generate_series(0, 499) j`,
		`INSERT INTO im_user_conversations (app_id, user_id, chat_type, target_id, chat_id)
		 SELECT $1, 'alice', 'SINGLE', substr(chat_key, 7), id FROM im_chats WHERE app_id = $1`,
		// Filled without the gram index, which is then built as the migration builds it: faster.
		`DROP INDEX im_message_search_grams_idx`,
		`INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, search_text)
		 SELECT $1, c.id, i / 500 + 1, 'SINGLE', 'u' || (i % 500), 'alice', 'TEXT', x.t, x.t
		 FROM generate_series(0, 99999) i
		 JOIN im_chats c ON c.app_id = $1 AND c.chat_key = 'alice u' || (i % 500)
		 CROSS JOIN LATERAL (SELECT CASE WHEN i % 997 = 0 THEN '你好 number ' || i
		                                 ELSE 'message ' || i || ' about topic ' || (i % 97) END AS t) x`,
		// Grams as the indexer makes them (bigrams without spaces, CJK unigrams), in SQL.
		`INSERT INTO im_message_search (message_id, app_id, chat_id, created_at, grams)
		 SELECT m.id, m.app_id, m.chat_id, m.created_at,
		        ARRAY(SELECT DISTINCT substr(lower(m.search_text), k, 2) FROM generate_series(1, length(m.search_text) - 1) k
		              WHERE substr(m.search_text, k, 2) !~ '\s'
		              UNION SELECT substr(m.search_text, k, 1) FROM generate_series(1, length(m.search_text)) k
		              WHERE ascii(substr(m.search_text, k, 1)) > 127)
		 FROM im_messages m WHERE m.app_id = $1`,
		`UPDATE im_search_cursor SET indexed_to = (SELECT max(id) FROM im_messages)`,
		`CREATE INDEX im_message_search_grams_idx ON im_message_search USING gin (grams)`,
		`ANALYZE`,
	} {
		args := []any{app}
		if !strings.Contains(stmt, "$1") {
			args = nil
		}
		if _, err := pool.Exec(ctx, stmt, args...); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
	svc := im.New(pool, im.Options{})
	alice := im.User{AppID: app, UserID: "alice"}
	for _, kw := range []string{"你好", "好", "MESSAGE 4242"} {
		log.mu.Lock()
		log.sql, log.args = nil, nil
		log.mu.Unlock()
		found, err := svc.Search(ctx, alice, kw, page.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if found.Total == 0 {
			t.Fatalf("%q found nothing", kw)
		}
		log.mu.Lock()
		sqls, args := log.sql, log.args
		log.mu.Unlock()
		for i, sql := range sqls {
			text := explain(t, pool, "EXPLAIN "+sql, args[i]...)
			if strings.Contains(text, "Seq Scan on im_message") {
				t.Errorf("search for %q scans messages sequentially:\n%s", kw, text)
			}
			if !strings.Contains(text, "im_message_search_grams_idx") {
				t.Errorf("search for %q does not use the gram index:\n%s", kw, text)
			}
		}
	}
}

// TestIndexerFollowsItsCursorByTheIndex fills 20,000 messages that have never been analyzed,
// as on a server whose messages come faster than autovacuum's first ANALYZE, and checks
// that the indexer's pass reads the messages after its cursor through the primary key, not
// by reading the whole table and sorting it at every pass.
func TestIndexerFollowsItsCursorByTheIndex(t *testing.T) {
	ctx := context.Background()
	pool, log := tracedDB(t)
	app := planApp(t, pool, "ak_cursor")
	if _, err := pool.Exec(ctx, `WITH c AS (INSERT INTO im_chats (app_id, chat_type, chat_key, last_seq)
		VALUES ($1, 'SINGLE', 'alice bob', 20000) RETURNING id)
		INSERT INTO im_messages (app_id, chat_id, seq, chat_type, from_id, to_id, msg_type, content, search_text)
		SELECT $1, c.id, i, 'SINGLE', 'alice', 'bob', 'TEXT', 'hello ' || i, 'hello ' || i FROM c, generate_series(1, 20000) i`, app); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE im_search_cursor SET indexed_to = (SELECT max(id) - 100 FROM im_messages)`); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	log.sql, log.args = nil, nil
	log.mu.Unlock()
	if n, err := im.New(pool, im.Options{}).IndexSearch(ctx); err != nil || n != 100 {
		t.Fatalf("the pass looked at %d messages (%v), want the 100 after the cursor", n, err)
	}
	log.mu.Lock()
	sqls, args := log.sql, log.args
	log.mu.Unlock()
	listed := false
	for i, sql := range sqls {
		if !strings.Contains(sql, "ListMessagesToIndex") {
			continue
		}
		listed = true
		if plan := explain(t, pool, "EXPLAIN "+sql, args[i]...); strings.Contains(plan, "Seq Scan on im_messages") {
			t.Errorf("the indexer reads im_messages by a sequential scan:\n%s", plan)
		}
	}
	if !listed {
		t.Fatal("the pass did not run ListMessagesToIndex; the test no longer covers it")
	}
}

// planApp makes a tenant and its app with key, and returns the app's id.
func planApp(t *testing.T, pool *pgxpool.Pool, key string) int64 {
	t.Helper()
	var app int64
	err := pool.QueryRow(context.Background(), `WITH t AS (INSERT INTO tenants (name, email) VALUES ('t', 't@example.com') RETURNING id)
		INSERT INTO apps (tenant_id, app_key, app_secret, name) SELECT id, $1, 's', 'plan' FROM t RETURNING id`, key).Scan(&app)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// explain runs an EXPLAIN statement and returns its plan, a line a node.
func explain(t *testing.T, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, sql string, args ...any) string {
	t.Helper()
	rows, err := q.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}
