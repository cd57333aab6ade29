// Package admin serves the plugin's administration pages under
// /local/ltiprovider, at the plugin's URLs: index.php?courseid= (the tools
// of a course), edit.php (add, edit, hide, show, delete), syncreport.php
// (grade sync report and forced resend), syncmembers.php (member sync now)
// and settings.php (the site settings), plus nav.json for the layout
// script's course-menu link.
//
// The person is the Moodle user of the browser's session (moodleauth).
// Site administrators may do everything; otherwise, in a course they can
// enter, local/ltiprovider:manage or :view where the plugin's capabilities
// exist, else moodle/course:update, evaluated like Moodle's accesslib.
// Secrets are shown to managers only. Every change is a POST carrying a
// CSRF token bound to the Moodle session, validated with the plugin's form
// rules (pkg/manage), done in one transaction. Pages are html/template,
// need no JavaScript, and link Moodle's theme stylesheet.
package admin
