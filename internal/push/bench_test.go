package push_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xuqmgroup/xuqm/internal/push"
)

// BenchmarkDeliveries sends pushes of 1,000 users, a device each (APNs, FCM and HMS in
// turn), through the queue to the local gateways, and reports the deliveries a second
// from the send to the last recorded result.
func BenchmarkDeliveries(b *testing.B) {
	w := newWorld(b)
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("user%04d", i)
	}
	a := w.newApp(b, "ak_push_bench", users...)
	w.configure(b, a)
	vendors := []string{push.APNS, push.FCM, push.Huawei}
	for i, u := range users {
		w.register(b, a, u, fmt.Sprintf("%s-device-%04d", u, i), vendors[i%len(vendors)])
	}
	start(b, w.q)
	ctx := context.Background()
	b.ResetTimer()
	began := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := w.svc.Send(ctx, a.server(), push.Push{UserIDs: users, Notification: push.Notification{Title: "bench", Body: fmt.Sprint(i)}})
		if err != nil {
			b.Fatal(err)
		}
		if done := w.wait(b, a, res.PushID); done.Accepted != len(users) {
			b.Fatalf("push %d: %+v", i, done)
		}
	}
	b.ReportMetric(float64(b.N*len(users))/time.Since(began).Seconds(), "deliveries/s")
}
