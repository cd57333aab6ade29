package moodle

import "strings"

// Session handler classes of Moodle core.
const (
	HandlerFile      = `\core\session\file`
	HandlerDatabase  = `\core\session\database`
	HandlerRedis     = `\core\session\redis`
	HandlerMemcached = `\core\session\memcached`
)

// SessionHandler says which session handler Moodle uses, and why, following
// \core\session\manager::get_handler_class(): config.php's
// session_handler_class wins, then the dbsessions setting, then files.
func SessionHandler(handlerClass string, s *Site) (class, why string) {
	if handlerClass != "" {
		return NormaliseHandlerClass(handlerClass), "config.php sets $CFG->session_handler_class"
	}
	if s.Bool("dbsessions") {
		return HandlerDatabase, "the dbsessions setting is on"
	}
	return HandlerFile, "Moodle's default (no session_handler_class, dbsessions off)"
}

// NormaliseHandlerClass writes a class name the way Moodle's constants do,
// with one leading backslash.
func NormaliseHandlerClass(c string) string {
	return `\` + strings.TrimLeft(strings.TrimSpace(c), `\`)
}
