package update

import (
	"context"
	"testing"
)

func BenchmarkCheckService(b *testing.B) {
	f := newFixture(b)
	for c := int32(2); c < 12; c++ {
		f.version(b, c, false, 0, 50)
	}
	for _, v := range []string{"1.0.1", "1.0.2", "1.1.0", "1.2.0", "1.10.0"} {
		f.bundle(b, "home", bundleSpec{version: v, rollout: 50})
	}
	ctx := context.Background()
	b.Run("app", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.svc.CheckApp(ctx, AppCheck{AppKey: f.appKey, Platform: Android, CurrentVersionCode: 1, DeviceID: "device-42"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rn", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.svc.CheckRnBundle(ctx, BundleCheck{AppKey: f.appKey, Platform: Android, ModuleID: "home", CurrentVersion: "1.0.0", AppVersion: "1.2.0", DeviceID: "device-42"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
