package push

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/xuqmgroup/xuqm/gen/db"
	"github.com/xuqmgroup/xuqm/internal/jobs"
	"github.com/xuqmgroup/xuqm/internal/postgres"
)

// DeliverArgs is a delivery job: some devices of one push.
type DeliverArgs struct {
	PushID    int64   `json:"pushId"`
	AppID     int64   `json:"appId"`
	DeviceIDs []int64 `json:"deviceIds"`
}

// Kind is the River kind of delivery jobs.
func (DeliverArgs) Kind() string { return "push_deliver" }

// maxAttempts is how often a busy gateway is tried before its deliveries fail: with the
// backoff below, for about 40 minutes.
const maxAttempts = 12

// InsertOpts puts delivery jobs on the push queue.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobs.QueuePush, MaxAttempts: maxAttempts}
}

// Worker delivers the jobs' devices; add it to the queue with jobs.Add.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Worker is the service's delivery worker.
func (s *Service) Worker() *Worker { return &Worker{s: s} }

// Work delivers the job's queued deliveries and records each result; it fails (and River
// tries the job again) while some gateway was busy, the deliveries done staying done.
func (w *Worker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.s.deliver(ctx, job.ID, job.Args, job.Attempt >= job.MaxAttempts)
}

// NextRetry honours the gateway's Retry-After when it gave one, else backs off 1 s, 2 s,
// 4 s … up to 10 minutes: River's default (attempt⁴ seconds) waits far longer than a
// gateway's short burst of 429s needs.
func (w *Worker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	if at, ok := w.s.retryWait.LoadAndDelete(job.ID); ok {
		return at.(time.Time)
	}
	return time.Now().Add(backoff(job.Attempt))
}

func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 10 {
		return 10 * time.Minute
	}
	return min(10*time.Minute, time.Second<<(attempt-1))
}

// outcome is what one attempt did on one device.
type outcome struct {
	delivery   db.PushDelivery
	device     db.PushDevice
	status     string
	reason     string
	providerID string
	gone       bool
	retryAfter time.Duration
}

// sendersPerJob is how many devices of a job are handed on at once; HTTP/2 carries them
// over a gateway's one connection.
const sendersPerJob = 32

func (s *Service) deliver(ctx context.Context, jobID int64, args DeliverArgs, last bool) error {
	row, err := s.q.GetPush(ctx, db.GetPushParams{ID: args.PushID, AppID: args.AppID})
	if errors.Is(err, postgres.ErrNotFound) {
		return nil // the app is gone, and its pushes with it
	}
	if err != nil {
		return err
	}
	queued, err := s.q.ListQueuedPushDeliveries(ctx, db.ListQueuedPushDeliveriesParams{PushID: args.PushID, DeviceIds: args.DeviceIDs})
	if err != nil || len(queued) == 0 {
		return err
	}
	ids := make([]int64, len(queued))
	for i, d := range queued {
		ids[i] = d.DeviceID
	}
	devices, err := s.q.ListPushDevicesByIDs(ctx, db.ListPushDevicesByIDsParams{AppID: args.AppID, Ids: ids})
	if err != nil {
		return err
	}
	byID := make(map[int64]db.PushDevice, len(devices))
	for _, d := range devices {
		byID[d.ID] = d
	}
	channels := map[string]vendorChannel{}
	for _, d := range devices {
		if _, ok := channels[d.Vendor]; !ok {
			ch, err := s.channel(ctx, args.AppID, d.Vendor)
			channels[d.Vendor] = vendorChannel{ch, err}
		}
	}
	n := Notification{Title: row.Title, Body: row.Body, Data: row.Data, Badge: row.Badge, Sound: row.Sound, TTLSeconds: row.TtlSeconds, CollapseID: row.CollapseID}

	out := make([]outcome, len(queued))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(sendersPerJob, len(queued)) {
		wg.Go(func() {
			for i := range next {
				out[i] = deliverOne(ctx, queued[i], byID, channels, n)
			}
		})
	}
	for i := range queued {
		next <- i
	}
	close(next)
	wg.Wait()

	var busy int
	var wait time.Duration
	var why string
	for i := range out {
		if out[i].status != Queued {
			continue
		}
		if last {
			out[i].status, out[i].reason = Failed, fmt.Sprintf("gave up after %d attempts: %s", maxAttempts, out[i].reason)
			continue
		}
		busy++
		wait, why = max(wait, out[i].retryAfter), out[i].reason
	}
	// What the gateways did is recorded even when the job is being cancelled.
	if err := s.record(context.WithoutCancel(ctx), args, out); err != nil {
		return err
	}
	if busy == 0 {
		return nil
	}
	if wait > 0 {
		s.retryWait.Store(jobID, time.Now().Add(wait))
	}
	return fmt.Errorf("%d deliveries will be tried again: %s", busy, why)
}

// vendorChannel is a job's channel of a vendor, or why there is none.
type vendorChannel struct {
	ch  Channel
	err error
}

func deliverOne(ctx context.Context, d db.PushDelivery, devices map[int64]db.PushDevice, channels map[string]vendorChannel, n Notification) outcome {
	o := outcome{delivery: d, status: Failed}
	dev, ok := devices[d.DeviceID]
	switch {
	case !ok:
		o.reason = "the device was unregistered"
		return o
	case !dev.Active:
		o.reason = "the device was deactivated: its vendor said the token is gone"
		return o
	case dev.UserID != d.UserID:
		o.reason = "the device now belongs to another user"
		return o
	}
	o.device = dev
	ch := channels[dev.Vendor]
	if ch.err != nil {
		o.status, o.reason = Queued, "credentials: "+ch.err.Error()
		return o
	}
	if ch.ch == nil {
		o.reason = "no credentials are configured for " + dev.Vendor
		return o
	}
	id, err := ch.ch.Send(ctx, Target{DeviceID: dev.ID, UserID: dev.UserID, Platform: dev.Platform, Token: dev.DeviceToken}, n)
	var b *BusyError
	switch {
	case err == nil:
		o.status, o.providerID = Accepted, id
	case errors.Is(err, ErrTokenGone):
		o.reason, o.gone = err.Error()+"; the device was deactivated", true
	case errors.As(err, &b):
		o.status, o.reason, o.retryAfter = Queued, b.Reason, b.RetryAfter
	case ctx.Err() != nil: // the queue is stopping: another attempt will do it
		o.status, o.reason = Queued, "interrupted: "+err.Error()
	default:
		o.reason = err.Error()
	}
	return o
}

// record writes the attempt's outcomes, counts the finished ones on the push and
// deactivates the devices whose token is gone.
func (s *Service) record(ctx context.Context, args DeliverArgs, out []outcome) error {
	p := db.RecordPushDeliveriesParams{PushID: args.PushID}
	var gone []int64
	var goneHashes []string
	for _, o := range out {
		p.DeviceIds = append(p.DeviceIds, o.delivery.DeviceID)
		p.Statuses = append(p.Statuses, o.status)
		p.Reasons = append(p.Reasons, o.reason)
		p.ProviderIds = append(p.ProviderIds, o.providerID)
		if o.gone {
			gone = append(gone, o.device.ID)
			goneHashes = append(goneHashes, o.device.TokenHash)
		}
	}
	return postgres.WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		q := postgres.Queries(tx)
		changed, err := q.RecordPushDeliveries(ctx, p)
		if err != nil {
			return err
		}
		var accepted, failed int32
		for _, c := range changed {
			switch c.Status {
			case Accepted:
				accepted++
			case Failed:
				failed++
			}
		}
		if accepted+failed > 0 {
			if err := q.AddPushCounts(ctx, db.AddPushCountsParams{ID: args.PushID, Accepted: accepted, Failed: failed}); err != nil {
				return err
			}
		}
		if len(gone) > 0 {
			return q.DeactivatePushDevices(ctx, db.DeactivatePushDevicesParams{AppID: args.AppID, Ids: gone, TokenHashes: goneHashes})
		}
		return nil
	})
}

type channelKey struct {
	app    int64
	vendor string
}

type cachedChannel struct {
	version string
	ch      Channel
}

// channel is the app's channel for a vendor, nil when the app has no credentials for it. A
// channel is kept while its credentials stay the same, so that its provider or access
// token and its connections are reused by every job.
func (s *Service) channel(ctx context.Context, appID int64, vendor string) (Channel, error) {
	c, version, found, err := s.openCredential(ctx, appID, vendor)
	if err != nil {
		return nil, err
	}
	key := channelKey{appID, vendor}
	if !found {
		s.channels.Delete(key)
		return nil, nil
	}
	if v, ok := s.channels.Load(key); ok && v.(*cachedChannel).version == version {
		return v.(*cachedChannel).ch, nil
	}
	var ch Channel
	switch vendor {
	case APNS:
		ch, err = newAPNsChannel(c, s.opts.Endpoints, s.opts.RootCAs)
	case FCM:
		ch, err = newFCMChannel(c, s.opts.Endpoints, s.opts.RootCAs)
	case Huawei:
		ch = newHMSChannel(c, s.opts.Endpoints, s.opts.RootCAs)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Two jobs may build one at once: the last stored wins, the other is dropped.
	s.channels.Store(key, &cachedChannel{version: version, ch: ch})
	return ch, nil
}
