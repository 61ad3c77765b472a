package httpapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addressLimiter is a token bucket per client address for the public routes, kept in this
// instance's memory: it stops a flood cheaply, on the hot path, without a database round trip.
// (Sign-ins and mails have their own limits in PostgreSQL, shared by every instance.)
type addressLimiter struct {
	perSecond rate.Limit
	burst     int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// idleBucket is how long an address's bucket is kept after its last request; by then it is
// full again, so forgetting it changes nothing.
const idleBucket = 5 * time.Minute

func newAddressLimiter(perSecond int64) *addressLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &addressLimiter{perSecond: rate.Limit(perSecond), burst: int(2 * perSecond), buckets: map[string]*bucket{}}
}

// allow takes a token for addr; when there is none it says how long until there is one.
func (l *addressLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleBucket {
		for a, b := range l.buckets {
			if now.Sub(b.seen) > idleBucket {
				delete(l.buckets, a)
			}
		}
		l.swept = now
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{limiter: rate.NewLimiter(l.perSecond, l.burst)}
		l.buckets[addr] = b
	}
	b.seen = now
	if b.limiter.AllowN(now, 1) {
		return true, 0
	}
	wait := time.Duration(float64(time.Second) / float64(l.perSecond))
	return false, max(wait, time.Second)
}
