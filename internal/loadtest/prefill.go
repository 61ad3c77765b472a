package loadtest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed prefill.sql
var prefillSQL string

// Prefill loads an app's IM tables with history straight into the server's database, as
// prefill.sql says; the server may be running (it is an ordinary transaction).
type Prefill struct {
	DatabaseURL string
	AppKey      string
	Prefix      string // user ids: Prefix0, Prefix1, …
	Users       int
	Chats       int
	PerChat     int
}

// prefillTables are the tables prefill.sql writes; their secondary indexes are rebuilt
// after the load rather than kept up row by row, which is several times faster.
var prefillTables = []string{"im_accounts", "im_chats", "im_messages", "im_message_search", "im_user_events", "im_user_states", "im_user_conversations"}

// indexMarker splits prefill.sql: the locks before it, the load after.
const indexMarker = "-- @@ secondary indexes dropped here @@"

var prefillParam = regexp.MustCompile(`(^|[^:]):(app|prefix|users|chats|per_chat)\b`)

// Describe says what the prefill stores.
func (p Prefill) Describe() string {
	return fmt.Sprintf("%s messages and %s conversations", thousands(float64(p.Chats*p.PerChat)), thousands(float64(p.Chats)))
}

// Script is prefill.sql with the parameters in place.
func (p Prefill) Script(appID int64) string {
	values := map[string]string{
		"app": strconv.FormatInt(appID, 10), "prefix": quoteLiteral(p.Prefix),
		"users": strconv.Itoa(p.Users), "chats": strconv.Itoa(p.Chats), "per_chat": strconv.Itoa(p.PerChat),
	}
	return prefillParam.ReplaceAllStringFunc(prefillSQL, func(m string) string {
		sub := prefillParam.FindStringSubmatch(m)
		return sub[1] + values[sub[2]]
	})
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// Run loads the history and reports what it did to log.
func (p Prefill) Run(ctx context.Context, log io.Writer) error {
	if p.Users < 2 || p.Chats < 1 || p.PerChat < 1 || p.Chats%p.Users != 0 || p.Chats/p.Users >= p.Users/2 {
		return fmt.Errorf("prefill: need users ≥ 2, chats ≥ 1, per-chat ≥ 1 and users dividing chats and chats/users < users/2 (got %d, %d, %d)", p.Users, p.Chats, p.PerChat)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,40}$`).MatchString(p.Prefix) {
		return fmt.Errorf("prefill: prefix %q is not the start of a user id", p.Prefix)
	}
	cfg, err := pgx.ParseConfig(p.DatabaseURL)
	if err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	// Like the load, the prefill only ever touches this machine: a Unix socket or loopback.
	if !strings.HasPrefix(cfg.Host, "/") {
		if err := requireLoopback(cfg.Host); err != nil {
			return fmt.Errorf("prefill: database %w", err)
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	defer conn.Close(ctx)
	var appID int64
	if err := conn.QueryRow(ctx, `SELECT id FROM apps WHERE app_key = $1`, p.AppKey).Scan(&appID); err != nil {
		return fmt.Errorf("prefill: app %s: %w", p.AppKey, err)
	}
	var taken bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM im_accounts WHERE app_id = $1 AND user_id = $2)`, appID, p.Prefix+"0").Scan(&taken); err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	if taken {
		return fmt.Errorf("prefill: app %s already has user %s0; choose another prefix", p.AppKey, p.Prefix)
	}
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	locks, load, ok := strings.Cut(p.Script(appID), indexMarker)
	if !ok {
		return errors.New("prefill.sql has no index marker")
	}
	if _, err := tx.Exec(ctx, locks); err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	indexes, err := secondaryIndexes(ctx, tx)
	if err != nil {
		return err
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, `DROP INDEX `+ix.name); err != nil {
			return fmt.Errorf("prefill: drop %s: %w", ix.name, err)
		}
	}
	if _, err := tx.Exec(ctx, load); err != nil {
		return fmt.Errorf("prefill: %w", err)
	}
	loaded := time.Since(start)
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, ix.def); err != nil {
			return fmt.Errorf("prefill: rebuild %s: %w", ix.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	// A database that came to hold this much over months has been vacuumed on the way;
	// one loaded in a minute has not, and autovacuum would go over the million new rows
	// (setting their hint bits and visibility) during the run that follows, on the same
	// two cores. Vacuumed and checkpointed here, the run measures the send path over
	// stored data, not the aftermath of the bulk load.
	for _, t := range prefillTables {
		if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) `+t); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `CHECKPOINT`); err != nil {
		fmt.Fprintf(log, "prefill: no checkpoint after the load (%v); the run that follows writes its pages' first changes in full\n", err)
	}
	fmt.Fprintf(log, "prefill: %d messages in %d conversations of %d users (%s…) for app %s in %s (rows %s, %d indexes rebuilt after)\n",
		p.Chats*p.PerChat, p.Chats, p.Users, p.Prefix, p.AppKey, time.Since(start).Round(time.Second), loaded.Round(time.Second), len(indexes))
	return nil
}

type index struct{ name, def string }

// secondaryIndexes are the indexes of prefillTables that back no constraint (primary keys
// and unique constraints stay, since dropping them would drop what depends on them).
func secondaryIndexes(ctx context.Context, tx pgx.Tx) ([]index, error) {
	rows, err := tx.Query(ctx, `
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1`, prefillTables)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var ix index
		err := r.Scan(&ix.name, &ix.def)
		return ix, err
	})
}
