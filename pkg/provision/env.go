package provision

import (
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

// Env is what provisioning needs of the site and of the request.
type Env struct {
	Site     *moodle.Site
	Settings *settings.Site
	// Actor is who acts (nobody, for a launch), from where and when.
	Actor moodle.Actor
	// DataRoot is Moodle's $CFG->dataroot if this machine can read it, for
	// the installed language packs; "" otherwise.
	DataRoot string
}

// Now is the time of the request.
func (e Env) Now() time.Time { return time.Unix(e.Actor.Time, 0) }

// Refusal is a reason a user cannot go on, in words meant for them and
// their consumer (never internals). Everything the launch wrote is rolled
// back.
type Refusal struct {
	Msg string
}

func (r *Refusal) Error() string { return r.Msg }

func refuse(msg string) error { return &Refusal{Msg: msg} }
