package gradesync

import (
	"context"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// What became of a delivery.
const (
	resultDelivered = iota
	resultRetry
	resultRefused
	resultReleased
)

// result is one delivery's outcome, waiting to be written.
type result struct {
	row   *store.DueGrade
	token string
	kind  int
	next  int64 // resultRetry: when to try again
	msg   string
	now   int64
}

// recorder writes delivery results in groups, one transaction per group:
// a database commit costs more than a consumer's answer, so writing each
// result on its own would bound throughput by the commit rate. A result
// not yet written when the process dies leaves its row claimed; the claim
// expires and the grade is sent again, which replaceResult allows.
type recorder struct {
	d       *Deliverer
	mu      sync.Mutex
	pending []result
	kick    chan struct{}
	done    chan struct{}
	flushed chan chan struct{}
}

// recordEvery and recordBatch bound how long and how many results wait.
const (
	recordEvery = 20 * time.Millisecond
	recordBatch = 64
)

func (d *Deliverer) startRecorder() *recorder {
	r := &recorder{d: d, kick: make(chan struct{}, 1), done: make(chan struct{}), flushed: make(chan chan struct{})}
	go r.loop()
	return r
}

func (r *recorder) add(res result) {
	r.mu.Lock()
	r.pending = append(r.pending, res)
	full := len(r.pending) >= recordBatch
	r.mu.Unlock()
	if full {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
}

// flush writes everything added so far before returning.
func (r *recorder) flush() {
	ack := make(chan struct{})
	r.flushed <- ack
	<-ack
}

// stop flushes and ends the recorder.
func (r *recorder) stop() {
	r.flush()
	close(r.done)
}

func (r *recorder) loop() {
	t := time.NewTicker(recordEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			r.write()
		case <-r.kick:
			r.write()
		case ack := <-r.flushed:
			r.write()
			close(ack)
		case <-r.done:
			return
		}
	}
}

// write stores the pending results in one transaction. It runs even when
// the job was cancelled: what was sent must be recorded.
func (r *recorder) write() {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	d := r.d
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var lost []int64
	err := d.DB.WithTx(ctx, func(tx *database.Tx) error {
		lost = lost[:0]
		for _, res := range batch {
			ok, err := apply(ctx, tx, d, res)
			if err != nil {
				return err
			}
			if !ok {
				lost = append(lost, res.row.ID)
			}
		}
		return nil
	})
	if err != nil {
		// The rows stay claimed; their claims expire and they are sent
		// again on a later run.
		d.Log.Error("grade delivery: recording results failed", "results", len(batch), "err", err)
		return
	}
	for _, id := range lost {
		d.Log.Warn("grade delivery: claim expired before the result was recorded", "row", id)
	}
}

func apply(ctx context.Context, q database.Querier, d *Deliverer, r result) (bool, error) {
	row := r.row
	switch r.kind {
	case resultDelivered:
		return store.GradeDelivered(ctx, q, row.ID, r.token, row.Version, row.Score, row.Target().Hash(), r.now)
	case resultRetry:
		return store.GradeRetry(ctx, q, row.ID, r.token, r.next, r.msg, d.MaxAttempts, r.now)
	case resultRefused:
		return store.GradeRefused(ctx, q, row.ID, r.token, row.Version, r.msg, r.now)
	default:
		return store.ReleaseGrade(ctx, q, row.ID, r.token, r.now)
	}
}
