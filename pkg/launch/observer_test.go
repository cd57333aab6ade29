package launch

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// observed records what an Observer hears.
type observed struct {
	mu       sync.Mutex
	outcomes []string
	took     []time.Duration
}

func (o *observed) Launch(outcome string, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes = append(o.outcomes, outcome)
	o.took = append(o.took, took)
}

func (o *observed) last(t *testing.T, want string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.outcomes) == 0 {
		t.Fatalf("no launch observed, want %s", want)
	}
	got, took := o.outcomes[len(o.outcomes)-1], o.took[len(o.took)-1]
	if got != want || took <= 0 {
		t.Fatalf("observed %s in %s, want %s (all: %v)", got, took, want, o.outcomes)
	}
}

// Every way a launch ends reaches the Observer once, with its outcome.
func TestObserverHearsEveryOutcome(t *testing.T) {
	obs := &observed{}
	e := newEnv(t, func(c *Config) { c.Observer = obs })
	tool := e.courseTool()
	q := idQuery(tool)

	e.wantRedirect(e.launch(tool, launchForm("obs-1")), "/course/view.php?id=3")
	obs.last(t, OutcomeSuccess)

	resp, err := noRedirects.Get(e.srv.URL + Path + q)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	obs.last(t, OutcomeInvalid)

	e.postBody(q, "text/plain", "x")
	obs.last(t, OutcomeInvalid)

	bad := e.signed(e.launchURL(q), "consumer-A", "not-the-secret", launchForm("obs-2"))
	e.wantPage(e.post(q, bad), http.StatusUnauthorized, "signature")
	obs.last(t, OutcomeUnauthorized)

	e.post("?id=99999", launchForm("obs-3"))
	obs.last(t, OutcomeUnknownTool)

	// Authentic, but the user may not go on.
	off := e.courseTool(func(t *store.Tool) { t.Disabled = true })
	e.launch(off, launchForm("obs-4"))
	obs.last(t, OutcomeRefused)

	e.sessions.fail = errors.New("the session store is down")
	resp = e.launch(tool, launchForm("obs-5"))
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "lti_errormsg") {
		t.Fatalf("internal error not sent back to the consumer: %d %s", resp.StatusCode, loc)
	}
	obs.last(t, OutcomeError)
	e.sessions.fail = nil

	obs.mu.Lock()
	n := len(obs.outcomes)
	obs.mu.Unlock()
	if n != 7 {
		t.Errorf("%d launches observed, want 7", n)
	}
}

// Without a session handoff, launches are unavailable, and say so.
func TestObserverUnavailable(t *testing.T) {
	obs := &observed{}
	e := newEnv(t, func(c *Config) { c.Observer = obs; c.Sessions = nil })
	e.sessions = nil
	e.launch(e.courseTool(), launchForm("obs-6"))
	obs.last(t, OutcomeUnavailable)
}
