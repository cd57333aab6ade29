package gradesync_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// deliveries records what a Deliverer's Observer hears.
type deliveries struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *deliveries) GradeDeliveries(outcome string, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.n[outcome] += n
}

func (d *deliveries) get(outcome string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[outcome]
}

// The Observer hears each delivery's outcome as it happens: what the
// metrics' ltiprovider_grade_deliveries_total counts.
func TestDeliveryObserver(t *testing.T) {
	db, _ := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "link", c.URL, "src")
	obs := &deliveries{n: map[string]int{}}
	job := newJob(db, clk)
	job.Deliverer.Observer = obs

	c.SetFault(func(outcomestest.Request) *outcomestest.Fault {
		return &outcomestest.Fault{Status: http.StatusServiceUnavailable}
	})
	res := run(t, job, gradesync.Options{})
	if obs.get("retrying") != 1 || res.Delivery.Retried != 1 || obs.get("sent") != 0 {
		t.Fatalf("observed %v, result %+v", obs.n, res.Delivery)
	}
	c.SetFault(nil)
	clk.Advance(gradesync.DefaultBackoffMax)
	res = run(t, job, gradesync.Options{})
	if obs.get("sent") != 1 || res.Delivery.Sent != 1 {
		t.Fatalf("observed %v, result %+v", obs.n, res.Delivery)
	}
}
