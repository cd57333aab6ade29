package moodle

import "time"

// Env is what a change to Moodle's tables needs to know besides the
// database: the site's settings, the log store, who acts and when. Moodle's
// PHP reads the same from $CFG, $USER and time().
type Env struct {
	// Site is Moodle's $CFG: the config table with config.php on top
	// (also for values that have no row, e.g. $CFG->defaultblocks_override).
	Site *Site
	Log  LogStore
	// UserID is the Moodle user who acts, 0 for nobody logged in (a
	// services.php call, or a launch before its user logs in).
	UserID int64
	// IP is the client's address for the log, "" for none.
	IP string
	// WWWRoot is $CFG->wwwroot: copies rewrite the links of copied HTML
	// that start with it, as Moodle's restore does; "" leaves them.
	WWWRoot string
	// DataRoot is $CFG->dataroot when this machine shares it: the language
	// packs of the strings the service writes; "" means English.
	DataRoot string
	Now      time.Time
	// Caches hears of the MUC application cache entries a change made
	// stale (applied once the transaction commits); nil drops them.
	Caches CacheInvalidator
}

// Invalidate reports stale application cache entries to Caches.
func (e Env) Invalidate(definition string, keys ...string) {
	if e.Caches != nil {
		e.Caches.Invalidate(definition, keys...)
	}
}

// Unix is the time of the change as Moodle stores it.
func (e Env) Unix() int64 { return e.now().Unix() }

func (e Env) now() time.Time {
	if e.Now.IsZero() {
		return time.Now()
	}
	return e.Now
}

// config returns a $CFG value: config.php first, then the config table.
func (e Env) config(name string) (string, bool) {
	if e.Site == nil {
		return "", false
	}
	return e.Site.Lookup(name)
}

// event fills the common fields of an event written by this Env.
func (e Env) event(ev Event) Event {
	ev.UserID = e.UserID
	ev.IP = e.IP
	ev.TimeCreated = e.Unix()
	if ev.Component == "" {
		ev.Component = "core"
	}
	return ev
}
