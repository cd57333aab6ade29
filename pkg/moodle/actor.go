package moodle

// Actor is who makes a change and when, for the records Moodle keeps of it:
// the userid, IP and origin of its log-store events, the modifierid of the
// rows it writes, and the time of both.
type Actor struct {
	// UserID is $USER->id: 0 when nobody is logged in, as during a launch.
	UserID int64
	IP     string
	Origin string // "web" or "cli"
	Time   int64  // unix seconds
	// Log is where the events go (disabled: nowhere).
	Log LogStore
	// Caches hears of the MUC application cache entries a change made
	// stale, where Moodle's PHP would call
	// cache_helper::invalidate_by_definition(); nil drops them.
	Caches CacheInvalidator
}

// CacheInvalidator is told which MUC application cache entries a change
// made stale: a definition ("core/user_group_groupings") and its keys, or
// no keys for the whole definition. Callers inside a transaction should act
// only once it commits.
type CacheInvalidator interface {
	Invalidate(definition string, keys ...string)
}

// event fills the fields every event of this actor shares.
func (a Actor) event(e Event) Event {
	e.UserID, e.IP, e.Origin, e.TimeCreated = a.UserID, a.IP, a.Origin, a.Time
	return e
}

func (a Actor) invalidate(definition string, keys ...string) {
	if a.Caches != nil {
		a.Caches.Invalidate(definition, keys...)
	}
}
