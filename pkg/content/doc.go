// Package content is what LTI requests create in Moodle: the course of an
// LTI context (named by the site's format settings, from a template course,
// with its course tool), copies of activities for resource links, and
// activities of a requested type. Both services.php (pkg/services) and the
// launch (tool.php) call it, inside their one transaction.
//
// It speaks LTI parameters and the plugin's settings; Moodle's tables are
// written through pkg/moodle and pkg/coursecopy, the service's own through
// pkg/store. It never speaks HTTP.
package content
