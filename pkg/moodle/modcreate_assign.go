package moodle

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// addAssign writes an assignment as assign::add_instance() does with the
// assignment form's defaults (Site administration > Plugins > Activity
// modules > Assignment > Assignment settings, applied by
// moodleform_mod::apply_admin_defaults()): the instance row and each
// submission and feedback plugin's settings. The calendar events and the
// grade item follow once the course module exists (addAssignEvents,
// addGradeItem). creator is the user whose midnight the form's dates count
// from.
func addAssign(ctx context.Context, q database.Querier, env Env, m NewModule, creator *time.Location) (int64, error) {
	pc, err := LoadPluginConfig(ctx, q, "assign")
	if err != nil {
		return 0, err
	}
	midnight := Midnight(env.Now, creator).Unix()
	date := func(name string, def int64, enabledByDefault bool) int64 {
		if !pc.Bool(name+"_enabled", enabledByDefault) {
			return 0
		}
		return midnight + pc.Int(name, def)
	}
	markingWorkflow := pc.Int("markingworkflow", 0)
	markingAllocation, markingAnonymous := pc.Int("markingallocation", 0), pc.Int("markinganonymous", 0)
	if markingWorkflow == 0 {
		markingAllocation = 0
	}
	if markingWorkflow == 0 || pc.Int("blindmarking", 0) == 0 {
		markingAnonymous = 0
	}
	id, err := q.Insert(ctx, `INSERT INTO {assign} (course, name, intro, introformat, alwaysshowdescription, nosubmissions,
		submissiondrafts, sendnotifications, sendlatenotifications, duedate, allowsubmissionsfromdate, grade, timemodified,
		requiresubmissionstatement, completionsubmit, cutoffdate, gradingduedate, teamsubmission, requireallteammemberssubmit,
		teamsubmissiongroupingid, blindmarking, hidegrader, revealidentities, attemptreopenmethod, maxattempts, markingworkflow,
		markingallocation, sendstudentnotifications, preventsubmissionnotingroup, activity, activityformat, timelimit,
		submissionattachments, markinganonymous)
		VALUES (?, ?, ?, 1, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, '', 1, 0, 0, ?)`,
		m.Course, m.Name, m.Intro, pc.Int("alwaysshowdescription", 1), pc.Int("submissiondrafts", 0),
		pc.Int("sendnotifications", 0), pc.Int("sendlatenotifications", 0), date("duedate", 604800, true),
		date("allowsubmissionsfromdate", 0, true), env.Site.Int("gradepointdefault", 100), env.Unix(),
		pc.Int("requiresubmissionstatement", 0), date("cutoffdate", 1209600, false), date("gradingduedate", 1209600, true),
		pc.Int("teamsubmission", 0), pc.Int("requireallteammemberssubmit", 0), pc.Int("teamsubmissiongroupingid", 0),
		pc.Int("blindmarking", 0), pc.Int("hidegrader", 0), pc.String("attemptreopenmethod", "untilpass"),
		pc.Int("maxattempts", 1), markingWorkflow, markingAllocation, pc.Int("sendstudentnotifications", 1),
		pc.Int("preventsubmissionnotingroup", 0), markingAnonymous)
	if err != nil {
		return 0, err
	}
	anySubmission := false
	for _, subtype := range []string{"assignsubmission", "assignfeedback"} {
		plugins, err := assignPlugins(ctx, q, subtype)
		if err != nil {
			return 0, err
		}
		for _, p := range plugins {
			enabled, settings := p.form(env)
			if subtype == "assignsubmission" && enabled {
				anySubmission = true
			}
			values := [][2]string{{"enabled", boolString(enabled)}}
			if enabled {
				values = append(values, settings...)
			}
			for _, v := range values {
				if _, err := q.Exec(ctx, "INSERT INTO {assign_plugin_config} (assignment, plugin, subtype, name, value) VALUES (?, ?, ?, ?, ?)",
					id, p.name, subtype, v[0], v[1]); err != nil {
					return 0, err
				}
			}
		}
	}
	if !anySubmission {
		if _, err := q.Exec(ctx, "UPDATE {assign} SET nosubmissions = 1 WHERE id = ?", id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// assignPlugin is an installed submission or feedback plugin of the
// assignment and its site settings.
type assignPlugin struct {
	subtype, name string
	config        PluginConfig
}

// assignPlugins lists a subtype's installed plugins that are not disabled,
// in their sortorder, as assign::load_plugins() does.
func assignPlugins(ctx context.Context, q database.Querier, subtype string) ([]assignPlugin, error) {
	var rows []struct {
		Plugin string `db:"plugin"`
		Name   string `db:"name"`
		Value  string `db:"value"`
	}
	if err := q.Select(ctx, &rows, "SELECT plugin, name, value FROM {config_plugins} WHERE plugin LIKE ?", subtype+`\_%`); err != nil {
		return nil, err
	}
	byName := map[string]PluginConfig{}
	for _, r := range rows {
		if byName[r.Plugin] == nil {
			byName[r.Plugin] = PluginConfig{}
		}
		byName[r.Plugin][r.Name] = r.Value
	}
	var out []assignPlugin
	for full, pc := range byName {
		if _, installed := pc["version"]; !installed || pc.Bool("disabled", false) {
			continue
		}
		out = append(out, assignPlugin{subtype: subtype, name: strings.TrimPrefix(full, subtype+"_"), config: pc})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].config.Int("sortorder", 0), out[j].config.Int("sortorder", 0)
		if a != b {
			return a < b
		}
		return out[i].name < out[j].name
	})
	return out, nil
}

// form is what the assignment form sends for a plugin by default, and the
// settings its save_settings() stores when it is enabled. Plugins other
// than Moodle's own are left off: their settings are theirs to save.
func (p assignPlugin) form(env Env) (enabled bool, settings [][2]string) {
	switch p.subtype + "_" + p.name {
	case "assignsubmission_onlinetext":
		return p.config.Bool("default", false), [][2]string{{"wordlimit", "0"}, {"wordlimitenabled", "0"}}
	case "assignsubmission_file":
		return p.config.Bool("default", true), [][2]string{{"maxfilesubmissions", p.config.String("maxfiles", "20")},
			{"maxsubmissionsizebytes", p.config.String("maxbytes", "0")}, {"filetypeslist", p.config.String("filetypes", "")}}
	case "assignsubmission_comments":
		// Not configurable: on whenever the site has comments.
		return env.Site.Bool("usecomments"), nil
	case "assignfeedback_comments":
		return p.config.Bool("default", true), [][2]string{{"commentinline", boolString(p.config.Bool("inline", false))}}
	case "assignfeedback_editpdf":
		// Offered only where Ghostscript works ($CFG->pathtogs); where it
		// does not, the form has no box and the plugin stays off.
		return p.config.Bool("default", true) && executable(env.Site.Get("pathtogs")), nil
	case "assignfeedback_file", "assignfeedback_offline":
		return p.config.Bool("default", false), nil
	}
	return false, nil
}

// executable reports whether path is an executable file on this machine,
// which is Moodle's when the service runs beside it.
func executable(path string) bool {
	if path == "" {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// addAssignEvents writes the assignment's calendar events (due, and due to
// be graded) as assign::update_calendar() does, with their
// calendar_event_created events, named in the creator's language as
// get_string() would name them (current_language(): the course's forced
// language, else the user's, else the site's).
func addAssignEvents(ctx context.Context, q database.Querier, env Env, courseID, assignID int64) error {
	var a struct {
		Name           string `db:"name"`
		Intro          string `db:"intro"`
		ShowAlways     bool   `db:"alwaysshowdescription"`
		AllowFrom      int64  `db:"allowsubmissionsfromdate"`
		DueDate        int64  `db:"duedate"`
		GradingDueDate int64  `db:"gradingduedate"`
	}
	if err := q.Get(ctx, &a, `SELECT name, intro, alwaysshowdescription, allowsubmissionsfromdate, duedate, gradingduedate
		FROM {assign} WHERE id = ?`, assignID); err != nil {
		return err
	}
	lang, err := CurrentLanguage(ctx, q, env, courseID)
	if err != nil {
		return err
	}
	strs := LangStringsOf(env.Site, env.DataRoot)
	description := ""
	if a.ShowAlways || env.Unix() > a.AllowFrom {
		description = a.Intro
	}
	cctx, err := ContextOf(ctx, q, ContextCourse, courseID)
	if err != nil {
		return err
	}
	for _, ev := range []struct {
		kind, name string
		at         int64
		atInLog    any // update_calendar() passes the due date as a number, the grading date as read (a string)
	}{
		{"due", strs.Get(lang, "assign", "calendardue", "{$a} is due", a.Name), a.DueDate, a.DueDate},
		{"gradingdue", strs.Get(lang, "assign", "calendargradingdue", "{$a} is due to be graded", a.Name), a.GradingDueDate,
			fmt.Sprint(a.GradingDueDate)},
	} {
		if ev.at == 0 {
			continue
		}
		id, err := q.Insert(ctx, `INSERT INTO {event} (name, description, format, categoryid, courseid, groupid, userid, repeatid,
			modulename, instance, type, eventtype, timestart, timeduration, timesort, visible, uuid, sequence, timemodified)
			VALUES (?, ?, 1, 0, ?, 0, ?, 0, 'assign', ?, 1, ?, ?, 0, ?, 1, '', 1, ?)`,
			ev.name, description, courseID, env.UserID, assignID, ev.kind, ev.at, ev.at, env.Unix())
		if err != nil {
			return err
		}
		err = env.Log.Write(ctx, q, env.event(Event{Name: `\core\event\calendar_event_created`, Action: "created",
			Target: "calendar_event", ObjectTable: "event", ObjectID: id, CRUD: "c", EduLevel: LevelOther,
			Context: cctx, CourseID: courseID, Other: Fields{{"repeatid", 0}, {"timestart", ev.atInLog}, {"name", ev.name}}}))
		if err != nil {
			return err
		}
	}
	return nil
}
