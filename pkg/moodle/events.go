package moodle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Event is one row of Moodle's standard log store, the record Moodle's
// \core\event\* classes write, so administrators' logs and reports show
// what the service did as if Moodle had done it.
type Event struct {
	Name        string // e.g. `\core\event\user_created`
	Component   string // "core"
	Action      string // "created"
	Target      string // "user"
	ObjectTable string // "" for none
	ObjectID    int64
	CRUD        string // c, r, u or d
	EduLevel    int    // 0 other, 1 teaching, 2 participating
	Context     Context
	UserID      int64 // who acted; 0 for nobody logged in
	CourseID    int64
	RelatedUser int64 // 0 for none
	Other       any   // nil or Fields; encoded like Moodle: JSON or PHP-serialised
	TimeCreated int64
	Origin      string // "web" or "cli"
	IP          string
}

// Education levels of events.
const (
	LevelOther         = 0
	LevelTeaching      = 1
	LevelParticipating = 2
)

// LogStore writes events to logstore_standard_log when Moodle has that store
// enabled (tool_log/enabled_stores), honouring logstore_standard/jsonformat.
type LogStore struct {
	Enabled    bool
	JSONFormat bool
	LogGuests  bool
	GuestID    int64
}

// LoadLogStore reads the log-store settings.
func LoadLogStore(ctx context.Context, q database.Querier, site *Site) (LogStore, error) {
	var rows []struct {
		Plugin string `db:"plugin"`
		Name   string `db:"name"`
		Value  string `db:"value"`
	}
	err := q.Select(ctx, &rows, "SELECT plugin, name, value FROM {config_plugins} WHERE (plugin = 'tool_log' AND name = 'enabled_stores') "+
		"OR (plugin = 'logstore_standard' AND name IN ('jsonformat', 'logguests'))")
	if err != nil {
		return LogStore{}, fmt.Errorf("log store settings: %w", err)
	}
	ls := LogStore{GuestID: site.Int("siteguest", 0)}
	for _, r := range rows {
		switch r.Name {
		case "enabled_stores":
			for _, s := range strings.Split(r.Value, ",") {
				if strings.TrimSpace(s) == "logstore_standard" {
					ls.Enabled = true
				}
			}
		case "jsonformat":
			ls.JSONFormat = r.Value == "1"
		case "logguests":
			ls.LogGuests = r.Value == "1"
		}
	}
	return ls, nil
}

// LogStoreCache keeps the log-store settings for TTL, so that writing
// events does not read them each time. An administrator's change (a store
// enabled or disabled, the JSON format) is seen within TTL.
type LogStoreCache struct {
	TTL time.Duration

	mu   sync.Mutex
	ls   LogStore
	read time.Time
}

// Get returns the settings, read again once they are older than TTL.
func (c *LogStoreCache) Get(ctx context.Context, q database.Querier, site *Site) (LogStore, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && time.Since(c.read) < c.TTL {
		return c.ls, nil
	}
	ls, err := LoadLogStore(ctx, q, site)
	if err != nil {
		return LogStore{}, err
	}
	c.ls, c.read = ls, time.Now()
	return ls, nil
}

// Write stores one event, or nothing when the store is disabled. Inside
// a transaction the event waits for the end of the transaction's work and
// goes with the transaction's other events in one INSERT, in the order
// they happened (ids and timecreated as if written one by one); a
// transaction that rolls back writes none.
func (ls LogStore) Write(ctx context.Context, q database.Querier, e Event) error {
	if !ls.Enabled || (!ls.LogGuests && e.UserID != 0 && e.UserID == ls.GuestID) {
		return nil
	}
	other, err := ls.encodeOther(e.Other)
	if err != nil {
		return fmt.Errorf("log event %s: %w", e.Name, err)
	}
	var objectTable, objectID, relatedUser, ip any
	if e.ObjectTable != "" {
		objectTable, objectID = e.ObjectTable, e.ObjectID
	}
	if e.RelatedUser != 0 {
		relatedUser = e.RelatedUser
	}
	if e.IP != "" {
		ip = e.IP
	}
	origin := e.Origin
	if origin == "" {
		origin = "web"
	}
	row := []any{e.Name, e.Component, e.Action, e.Target, objectTable, objectID, e.CRUD, e.EduLevel,
		e.Context.ID, e.Context.Level, e.Context.InstanceID, e.UserID, e.CourseID, relatedUser, other,
		e.TimeCreated, origin, ip}
	if tx, ok := q.(*database.Tx); ok {
		b, _ := tx.Value(eventBatchKey{}).(*eventBatch)
		if b == nil {
			b = &eventBatch{}
			tx.SetValue(eventBatchKey{}, b)
			tx.BeforeCommit(func(ctx context.Context) error { return b.flush(ctx, tx) })
		}
		b.rows = append(b.rows, row)
		return nil
	}
	return insertEvents(ctx, q, [][]any{row})
}

// eventBatch is a transaction's events waiting for its commit.
type eventBatch struct{ rows [][]any }

type eventBatchKey struct{}

// maxEventsPerInsert keeps a statement well under max_allowed_packet.
const maxEventsPerInsert = 100

func (b *eventBatch) flush(ctx context.Context, q database.Querier) error {
	for len(b.rows) > 0 {
		n := min(len(b.rows), maxEventsPerInsert)
		if err := insertEvents(ctx, q, b.rows[:n]); err != nil {
			return err
		}
		b.rows = b.rows[n:]
	}
	return nil
}

const eventColumns = `eventname, component, action, target, objecttable, objectid, crud, edulevel, contextid, contextlevel,
	contextinstanceid, userid, courseid, relateduserid, anonymous, other, timecreated, origin, ip, realuserid`

const eventValues = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, NULL)"

// insertEvents writes rows of logstore_standard_log in one statement.
func insertEvents(ctx context.Context, q database.Querier, rows [][]any) error {
	query := "INSERT INTO {logstore_standard_log} (" + eventColumns + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(eventValues+", ", len(rows)), ", ")
	args := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		args = append(args, r...)
	}
	if _, err := q.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("log event %s: %w", rows[0][0], err)
	}
	return nil
}

func (ls LogStore) encodeOther(v any) (string, error) {
	if ls.JSONFormat {
		return PHPJSON(v)
	}
	return phpSerializeScalar(v)
}

// Field is one key of an event's "other" data.
type Field struct {
	Key   string
	Value any
}

// Fields keeps the keys of "other" in the order Moodle's events set them.
type Fields []Field

// MarshalJSON writes the fields as a JSON object in their order.
func (f Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		v, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// PHPJSON encodes v as PHP's json_encode does with no flags: slashes and
// non-ASCII characters escaped, HTML characters left alone.
func PHPJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	var out strings.Builder
	for _, r := range strings.TrimSuffix(buf.String(), "\n") {
		switch {
		case r == '/':
			out.WriteString(`\/`)
		case r > 0x7f:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&out, `\u%04x`, u)
			}
		default:
			out.WriteRune(r)
		}
	}
	return out.String(), nil
}

// phpSerializeScalar serialises the values events carry in "other" (nil,
// booleans, numbers, strings and Fields of them) the way PHP's serialize()
// does, for sites that turned jsonformat off.
func phpSerializeScalar(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "N;", nil
	case bool:
		if x {
			return "b:1;", nil
		}
		return "b:0;", nil
	case int:
		return "i:" + strconv.Itoa(x) + ";", nil
	case int64:
		return "i:" + strconv.FormatInt(x, 10) + ";", nil
	case string:
		return "s:" + strconv.Itoa(len(x)) + `:"` + x + `";`, nil
	case []any:
		if len(x) == 0 {
			return "a:0:{}", nil
		}
	case Fields:
		var b strings.Builder
		fmt.Fprintf(&b, "a:%d:{", len(x))
		for _, kv := range x {
			ks, _ := phpSerializeScalar(kv.Key)
			vs, err := phpSerializeScalar(kv.Value)
			if err != nil {
				return "", err
			}
			b.WriteString(ks + vs)
		}
		b.WriteString("}")
		return b.String(), nil
	}
	return "", fmt.Errorf("cannot serialise %T for the log", v)
}
