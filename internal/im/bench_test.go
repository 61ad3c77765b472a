package im_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/xuqmgroup/xuqm/internal/im"
)

// BenchmarkSendPersisted measures one-to-one messages stored per second (message, both
// users' events, their announcement) by concurrent senders, on the real database.
func BenchmarkSendPersisted(b *testing.B) {
	f := newFixture(b)
	if n := os.Getenv("BENCH_POOL"); n != "" {
		cfg := f.pool.Config()
		cfg.MaxConns = 32
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		f.pool, f.svc = pool, im.New(pool, im.Options{Announcer: f})
	}
	users := make([]string, 200)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	app := f.app("ak_bench", users...)
	var next atomic.Int64
	b.SetParallelism(16) // 32 senders on 2 cores: the database is the one to keep busy
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := next.Add(1)
			from, to := users[i%200], users[(i+1)%200]
			if _, err := f.svc.Send(ctx, im.User{AppID: app, UserID: from}, im.SendInput{ToID: to, ChatType: im.Single, MsgType: im.Text, Content: "benchmark message 你好"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
