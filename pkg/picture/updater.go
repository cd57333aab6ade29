package picture

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/filedir"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Request asks for a user's picture to be the one at URL.
type Request struct {
	UserID int64
	URL    string // user_image, else custom_user_image, as the launch sent it
	// Replace lets the picture replace one the user already has: a user
	// the launch created, or a site whose profile update policy updates
	// profiles. Otherwise only a user without a picture gets one.
	Replace bool
}

// Outcome is what processing a request did.
type Outcome int

const (
	Stored    Outcome = iota // the picture is now the user's
	Unchanged                // this URL was fetched already (or refused, or failed a moment ago)
	Kept                     // the user has a picture and Replace is off
	Refused                  // the URL gives no usable picture; not tried again
	Failed                   // the fetch failed; a later launch tries again
	Gone                     // the user no longer exists or is deleted
)

var outcomeNames = [...]string{"stored", "unchanged", "kept", "refused", "failed", "gone"}

func (o Outcome) String() string { return outcomeNames[o] }

// Config is what the updater needs.
type Config struct {
	DB   *database.DB
	Pool *filedir.Pool
	// AllowNetworks and AllowHTTP are the outbound guard's settings
	// (allow_networks, allow_http).
	AllowNetworks []netip.Prefix
	AllowHTTP     bool
	// MaxBytes bounds a download (default 2 MiB); MaxPixels the picture's
	// width × height (default 4096 × 4096).
	MaxBytes  int64
	MaxPixels int64
	// Timeout bounds a download, redirects included (default 10 s).
	Timeout time.Duration
	// Workers download and process pictures (default 2); Queue is how many
	// users may wait for them (default 256). Past that, requests are
	// dropped: the user's next launch asks again.
	Workers, Queue int
	// RetryAfter is how long a failed URL rests before a launch may try it
	// again (default 1 h).
	RetryAfter time.Duration
	Log        *slog.Logger
	Now        func() time.Time
}

// Updater downloads profile pictures in the background, so a launch never
// waits for, or fails because of, a consumer's picture.
type Updater struct {
	db        *database.DB
	pool      *filedir.Pool
	guard     *netguard.Guard
	maxBytes  int64
	maxPixels int64
	timeout   time.Duration
	retry     time.Duration
	log       *slog.Logger
	now       func() time.Time

	mu      sync.Mutex
	pending map[int64]Request // the latest request of each queued user
	queue   chan int64
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New starts an updater's workers.
func New(c Config) *Updater {
	u := &Updater{db: c.DB, pool: c.Pool, maxBytes: c.MaxBytes, maxPixels: c.MaxPixels, timeout: c.Timeout,
		retry: c.RetryAfter, log: c.Log, now: c.Now, pending: map[int64]Request{}}
	if u.maxBytes <= 0 {
		u.maxBytes = 2 << 20
	}
	if u.maxPixels <= 0 {
		u.maxPixels = 4096 * 4096
	}
	if u.timeout <= 0 {
		u.timeout = 10 * time.Second
	}
	if u.retry <= 0 {
		u.retry = time.Hour
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	if u.now == nil {
		u.now = time.Now
	}
	// Picture services redirect (to a CDN, a signed storage URL); each hop
	// is checked again by the guard.
	u.guard = &netguard.Guard{Allow: c.AllowNetworks, AllowHTTP: c.AllowHTTP, Timeout: u.timeout, MaxRedirects: 3}
	workers, queue := c.Workers, c.Queue
	if workers <= 0 {
		workers = 2
	}
	if queue <= 0 {
		queue = 256
	}
	u.queue = make(chan int64, queue)
	u.ctx, u.cancel = context.WithCancel(context.Background())
	for range workers {
		u.wg.Add(1)
		go u.work()
	}
	return u
}

// Update queues a request and returns at once. A user already waiting
// keeps one place in the queue, with the latest request; a full queue
// drops the request (the user's next launch asks again).
func (u *Updater) Update(r Request) {
	if u.offer(r) == full {
		u.log.Warn("profile picture not fetched: too many waiting", "user", r.UserID, "url", Redact(r.URL))
	}
}

// Queue is Update for a caller that can wait, such as membership sync
// handing over a whole roster: while the queue is full it waits for room,
// until ctx ends.
func (u *Updater) Queue(ctx context.Context, r Request) error {
	for {
		switch u.offer(r) {
		case queued:
			return nil
		case closed:
			return errors.New("picture: updater stopped")
		}
		// Sending on the queue must happen under mu (Close closes it), so
		// wait here instead, a little at a time.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type offered int

const (
	queued offered = iota
	full
	closed
)

func (u *Updater) offer(r Request) offered {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return closed
	}
	if prev, waiting := u.pending[r.UserID]; waiting {
		r.Replace = r.Replace || prev.Replace
		u.pending[r.UserID] = r
		return queued
	}
	select {
	case u.queue <- r.UserID:
		u.pending[r.UserID] = r
		return queued
	default:
		return full
	}
}

func (u *Updater) work() {
	defer u.wg.Done()
	for uid := range u.queue {
		u.mu.Lock()
		r, ok := u.pending[uid]
		delete(u.pending, uid)
		u.mu.Unlock()
		if !ok {
			continue
		}
		ctx, cancel := context.WithTimeout(u.ctx, u.timeout+20*time.Second)
		out, err := u.Process(ctx, r)
		cancel()
		u.report(r, out, err)
	}
}

func (u *Updater) report(r Request, out Outcome, err error) {
	switch {
	case err != nil:
		u.log.Error("profile picture not stored", "user", r.UserID, "url", Redact(r.URL), "err", err)
	case out == Stored:
		u.log.Info("profile picture stored", "user", r.UserID, "url", Redact(r.URL))
	}
}

// Close stops taking requests and waits, until ctx ends, for the pictures
// being processed (then it cancels them); queued ones are dropped (nothing
// was recorded for them, so the users' next launches ask again).
func (u *Updater) Close(ctx context.Context) error {
	return u.stop(ctx, true)
}

// Finish stops taking requests and processes those queued, waiting until
// ctx ends (then it cancels them): for a command that exits once its work
// is done.
func (u *Updater) Finish(ctx context.Context) error {
	return u.stop(ctx, false)
}

func (u *Updater) stop(ctx context.Context, dropQueued bool) error {
	u.mu.Lock()
	if !u.closed {
		u.closed = true
		for dropQueued && len(u.queue) > 0 {
			delete(u.pending, <-u.queue)
		}
		close(u.queue) // Update no longer sends: it checks closed under mu
	}
	u.mu.Unlock()
	done := make(chan struct{})
	go func() {
		u.wg.Wait()
		close(done)
	}()
	defer u.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		u.cancel()
		<-done
		return ctx.Err()
	}
}

// Process handles one request now: decide, fetch, make the icons, store
// them. Refused and failed fetches are recorded and logged (outcome
// Refused or Failed, no error); an error is a failure of this site (the
// database, the file pool).
func (u *Updater) Process(ctx context.Context, r Request) (Outcome, error) {
	hash := store.PictureURLHash(r.URL)
	now := u.now()
	prev, err := store.GetPictureFetch(ctx, u.db, r.UserID)
	if err != nil {
		return 0, err
	}
	if prev != nil && prev.URLHash == hash {
		if prev.Status != store.PictureFailed || now.Sub(time.Unix(prev.TimeModified, 0)) < u.retry {
			return Unchanged, nil
		}
	}
	picture, deleted, err := moodle.UserPicture(ctx, u.db, r.UserID)
	switch {
	case errors.Is(err, database.ErrNotFound) || deleted:
		return Gone, nil
	case err != nil:
		return 0, err
	case picture != 0 && !r.Replace:
		return Kept, nil
	}

	body, err := u.fetch(ctx, r.URL)
	var icons []icon
	if err == nil {
		icons, err = iconsOf(body, u.maxPixels)
	}
	if err != nil && ctx.Err() != nil {
		return Failed, nil // the service is stopping: nothing recorded, the next launch asks again
	}
	if err != nil {
		status, out := store.PictureRefused, Refused
		var fe *fetchError
		if errors.As(err, &fe) && fe.transient {
			status, out = store.PictureFailed, Failed
		}
		u.log.Warn("profile picture not fetched", "user", r.UserID, "url", Redact(r.URL), "reason", err.Error(), "retry", out == Failed)
		rec := &store.PictureFetch{UserID: r.UserID, URLHash: hash, Status: status, TimeModified: now.Unix()}
		if prev != nil {
			rec.FileID = prev.FileID
		}
		return out, store.SavePictureFetch(ctx, u.db, rec)
	}
	return u.store(ctx, r, hash, icons, now)
}
