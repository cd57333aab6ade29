package gradesync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Delivery defaults.
const (
	DefaultWorkers     = 8
	DefaultPerHost     = 4
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 48
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffMax  = time.Hour
)

// Deliverer sends due queue rows to consumers: at most Workers requests at
// once and PerHost to one consumer host, each bounded by Timeout. Every
// row is claimed in the database before it is sent, so two deliverers
// (replicas, or a CLI run beside the service) never send the same row
// twice, and a claim left by a crashed process expires and is retried.
type Deliverer struct {
	DB     *database.DB
	Client *outcomes.Client
	Log    *slog.Logger

	Workers     int
	PerHost     int
	Timeout     time.Duration
	MaxAttempts int
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Now is the clock (nil: time.Now); Jitter returns a random duration in
	// [0, d) (nil: math/rand).
	Now    func() time.Time
	Jitter func(d time.Duration) time.Duration

	once  sync.Once
	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// DeliveryResult counts what a delivery run did; metrics read it.
type DeliveryResult struct {
	Sent     int // replaceResult confirmed
	Deleted  int // deleteResult confirmed
	Retried  int // will be tried again later
	Failed   int // refused, or retries exhausted
	Lost     int // another deliverer took the row first
	Released int // given back untried because the run was stopped
}

// Add sums two results.
func (r *DeliveryResult) Add(o DeliveryResult) {
	r.Sent += o.Sent
	r.Deleted += o.Deleted
	r.Retried += o.Retried
	r.Failed += o.Failed
	r.Lost += o.Lost
	r.Released += o.Released
}

func (d *Deliverer) defaults() { d.once.Do(d.setDefaults) }

func (d *Deliverer) setDefaults() {
	if d.Workers <= 0 {
		d.Workers = DefaultWorkers
	}
	if d.PerHost <= 0 {
		d.PerHost = DefaultPerHost
	}
	if d.Timeout <= 0 {
		d.Timeout = DefaultTimeout
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = DefaultMaxAttempts
	}
	if d.BackoffBase <= 0 {
		d.BackoffBase = DefaultBackoffBase
	}
	if d.BackoffMax <= 0 {
		d.BackoffMax = DefaultBackoffMax
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Jitter == nil {
		d.Jitter = func(n time.Duration) time.Duration {
			if n <= 0 {
				return 0
			}
			return time.Duration(mrand.Int64N(int64(n)))
		}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.hosts == nil {
		d.hosts = map[string]chan struct{}{}
	}
}

// claimTTL is how long a claim lasts: the request's timeout, plus time to
// record the answer. A row is never sent again while its claim holds.
func (d *Deliverer) claimTTL() time.Duration { return 2*d.Timeout + 30*time.Second }

// Run delivers every row due now (filtered by f) and returns when none is
// left, or ctx ends. Rows scheduled for later stay for a later run.
func (d *Deliverer) Run(ctx context.Context, f store.DueFilter) (DeliveryResult, error) {
	d.defaults()
	var total DeliveryResult
	global := make(chan struct{}, d.Workers)
	batch := d.Workers * 8
	rec := d.startRecorder()
	defer rec.stop()
	for ctx.Err() == nil {
		rows, err := store.DueGrades(ctx, d.DB, d.Now().Unix(), batch, f)
		if err != nil {
			return total, err
		}
		if len(rows) == 0 {
			break
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			prog bool
		)
		for i := range rows {
			wg.Add(1)
			go func(row *store.DueGrade) {
				defer wg.Done()
				r := d.deliverOne(ctx, row, global, rec)
				mu.Lock()
				total.Add(r)
				if r.Lost == 0 {
					prog = true
				}
				mu.Unlock()
			}(&rows[i])
		}
		wg.Wait()
		// The next query must see this batch's results.
		rec.flush()
		if !prog {
			break // every row was taken by someone else
		}
	}
	return total, nil
}

// deliverOne claims, sends and records one row.
func (d *Deliverer) deliverOne(ctx context.Context, row *store.DueGrade, global chan struct{}, rec *recorder) (res DeliveryResult) {
	host := d.hostSlot(row.ServiceURL)
	select {
	case host <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-host }()
	select {
	case global <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-global }()

	token := newToken()
	now := d.Now()
	ok, err := store.ClaimGrade(ctx, d.DB, row.ID, row.Version, token, now.Add(d.claimTTL()).Unix(), now.Unix())
	if err != nil {
		d.Log.Error("grade delivery: claim failed", "row", row.ID, "err", err)
		return
	}
	if !ok {
		res.Lost++
		return
	}
	// The claim counted this attempt (a claim that expired, its process
	// gone, counted one too).
	attempt := row.Attempts + 1

	secret := row.ToolSecret
	if secret == "" {
		secret = row.LegacySecret // plugin-era user rows kept the secret of their first launch
	}
	msg := outcomes.Message{Operation: outcomes.Delete, SourcedID: row.SourcedID}
	if row.Score.Valid {
		msg = outcomes.Message{Operation: outcomes.Replace, SourcedID: row.SourcedID, Score: row.Score.String}
	}
	var sendErr error
	if secret == "" {
		sendErr = &outcomes.Error{Msg: "the tool has no shared secret to sign with"}
	} else {
		sctx, cancel := context.WithTimeout(ctx, d.Timeout)
		_, sendErr = d.Client.Send(sctx, outcomes.Target{URL: row.ServiceURL, ConsumerKey: row.ConsumerKey, Secret: secret}, msg)
		cancel()
		if sendErr != nil && ctx.Err() == nil && errors.Is(sendErr, context.DeadlineExceeded) {
			sendErr = &outcomes.Error{Retryable: true, Msg: "no answer from " + hostKey(row.ServiceURL) + " within " + d.Timeout.String(), Err: sendErr}
		}
	}

	now = d.Now()
	var oe *outcomes.Error
	r := result{row: row, token: token, now: now.Unix()}
	switch {
	case sendErr == nil:
		r.kind = resultDelivered
		if row.Score.Valid {
			res.Sent++
		} else {
			res.Deleted++
		}
		d.Log.Debug("grade delivered", "tool", row.ToolID, "user", row.UserID, "op", msg.Operation, "score", msg.Score)
	case ctx.Err() != nil && !errors.As(sendErr, &oe):
		r.kind = resultReleased
		res.Released++
	case errors.As(sendErr, &oe) && oe.Retryable:
		r.kind, r.msg = resultRetry, oe.Msg
		r.next = now.Add(d.backoff(attempt, oe.RetryAfter)).Unix()
		if attempt >= d.MaxAttempts {
			res.Failed++
		} else {
			res.Retried++
		}
		d.Log.Info("grade delivery will be retried", "tool", row.ToolID, "user", row.UserID, "host", hostKey(row.ServiceURL),
			"attempt", attempt, "next", time.Unix(r.next, 0).Format(time.RFC3339), "err", oe.Msg)
	default:
		r.kind, r.msg = resultRefused, sendErr.Error()
		if oe != nil {
			r.msg = oe.Msg
		}
		res.Failed++
		d.Log.Warn("grade delivery failed", "tool", row.ToolID, "user", row.UserID, "host", hostKey(row.ServiceURL), "err", r.msg)
	}
	rec.add(r)
	return res
}

// backoff is the wait before attempt+1: BackoffBase doubled per attempt,
// capped at BackoffMax, half of it random (so consumers coming back are not
// hit by every replica at once), and never shorter than the consumer's
// Retry-After.
func (d *Deliverer) backoff(attempt int, retryAfter time.Duration) time.Duration {
	delay := d.BackoffBase
	for i := 1; i < attempt && delay < d.BackoffMax; i++ {
		delay *= 2
	}
	if delay > d.BackoffMax {
		delay = d.BackoffMax
	}
	delay = delay/2 + d.Jitter(delay/2+1)
	if retryAfter > delay {
		delay = retryAfter
	}
	return delay
}

// hostSlot is the semaphore of a consumer host.
func (d *Deliverer) hostSlot(serviceURL string) chan struct{} {
	key := hostKey(serviceURL)
	d.mu.Lock()
	defer d.mu.Unlock()
	ch, ok := d.hosts[key]
	if !ok {
		ch = make(chan struct{}, d.PerHost)
		d.hosts[key] = ch
	}
	return ch
}

func hostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return strings.ToLower(u.Host)
}

func newToken() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("gradesync: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
