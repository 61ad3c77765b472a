package account_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/page"
)

// BenchmarkSearch finds an account by a part of its nickname among 20 000 of the app and as
// many of another app (after VACUUM ANALYZE, as autovacuum leaves a live table).
func BenchmarkSearch(b *testing.B) {
	w := newWorld(b)
	a := w.newApp(b, "ak_bench_a")
	other := w.newApp(b, "ak_bench_b")
	for _, app := range []int64{a.ID, other.ID} {
		w.exec(b, `INSERT INTO im_accounts (app_id, user_id, nickname)
			SELECT $1, 'user_' || i, '用户' || substr(md5(i::text), 1, 10) FROM generate_series(1, 20000) i`, app)
	}
	w.exec(b, `VACUUM ANALYZE im_accounts`)
	ctx := b.Context()
	public := user(a, "viewer")
	for i := 0; b.Loop(); i++ {
		sum := md5.Sum([]byte(strconv.Itoa(1 + i%20000)))
		found, err := w.svc.Search(ctx, public, hex.EncodeToString(sum[:])[2:8], page.Request{})
		if err != nil || found.Total == 0 {
			b.Fatal(found.Total, err)
		}
	}
}

// BenchmarkSignedLogin is IM login from the signed request to the token: signature, nonce,
// account and token.
func BenchmarkSignedLogin(b *testing.B) {
	w := newWorld(b)
	a := w.newApp(b, "ak_bench_c")
	ctx := b.Context()
	for i := 0; b.Loop(); i++ {
		if _, err := w.svc.SignedLogin(ctx, signed(a, a.secret, fmt.Sprintf("u%d", i%500), time.Now(), nonce())); err != nil {
			b.Fatal(err)
		}
	}
}
