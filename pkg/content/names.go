package content

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

// Params are the parameters of a verified LTI request (oauth1.Params).
type Params interface {
	Value(key string) string
}

// Names are the names a course for an LTI context gets.
type Names struct {
	Fullname  string
	Shortname string
	IDNumber  string
}

// CourseNames names a course by the fullnameformat, shortnameformat and
// idnumberformat settings (settings.FormatName: 0 context_id,
// 1 context_title, 2 context_label, 3..5 the same prefixed by the consumer
// key and ":"), as the launch finds courses by. A full or short name whose
// title or label is missing falls back to context_id, so a course always
// has names; the idnumber never does, so it stays what launches look for.
func CourseNames(s *settings.Site, p Params) Names {
	c := settings.LTIContext{ConsumerKey: p.Value("oauth_consumer_key"), ID: strings.TrimSpace(p.Value("context_id")),
		Title: strings.TrimSpace(p.Value("context_title")), Label: strings.TrimSpace(p.Value("context_label"))}
	display := func(format int) string {
		v := settings.FormatName(format, c)
		if v == "" || strings.HasSuffix(v, ":") {
			fallback := c
			fallback.Title, fallback.Label = c.ID, c.ID
			v = settings.FormatName(format, fallback)
		}
		return v
	}
	return Names{
		Fullname:  display(s.FullnameFormat),
		Shortname: display(s.ShortnameFormat),
		IDNumber:  settings.FormatName(s.IdnumberFormat, c),
	}
}

// UniqueShortname returns shortname, or, when a course has it, the plugin's
// de-duplicated form: take the newest course with the same full name as
// that course, and add 1 to the number ending its short name (or append
// " 1"). Unlike the plugin it checks the result and keeps counting until no
// course has it.
func UniqueShortname(ctx context.Context, q database.Querier, shortname string) (string, error) {
	taken := func(s string) (bool, error) {
		var n int
		err := q.Get(ctx, &n, "SELECT COUNT(1) FROM {course} WHERE shortname = ?", s)
		return n > 0, err
	}
	t, err := taken(shortname)
	if err != nil || !t {
		return shortname, err
	}
	var fullname string
	err = q.Get(ctx, &fullname, "SELECT fullname FROM {course} WHERE shortname = ? ORDER BY id LIMIT 1", shortname)
	if err != nil {
		return "", err
	}
	candidate := shortname
	var newest string
	err = q.Get(ctx, &newest, "SELECT shortname FROM {course} WHERE fullname = ? ORDER BY id DESC LIMIT 1", fullname)
	if err == nil {
		candidate = newest
	} else if !errors.Is(err, database.ErrNotFound) {
		return "", err
	}
	for i := 0; i < 1000; i++ {
		candidate = nextShortname(candidate)
		if len(candidate) > 255 {
			break
		}
		if t, err := taken(candidate); err != nil || !t {
			return candidate, err
		}
	}
	return "", fmt.Errorf("no free short name near %q", shortname)
}

// nextShortname adds one to a trailing number ("SI182 2" → "SI182 3") or
// appends " 1".
func nextShortname(s string) string {
	parts := strings.Split(s, " ")
	last := parts[len(parts)-1]
	if n, err := strconv.ParseInt(last, 10, 64); err == nil {
		parts[len(parts)-1] = strconv.FormatInt(n+1, 10)
		return strings.Join(parts, " ")
	}
	return s + " 1"
}
