// Package demo is `ltiprovider demo` (make demo): a throwaway Moodle site
// and an LTI consumer to try the service with, and nothing else.
//
// Site sets up the site: a database loaded with the embedded Moodle 4.5.6
// fixture, on the local MariaDB or on a mariadbd started for the purpose,
// and a data folder; Close removes all of it.
//
// Handler is the demo's web pages, served beside the service's own routes
// by the demo command only (serve never mounts them, and no option turns
// them on): a test consumer that signs launches with a tool's secret and
// lets the browser send them to tool.php, as learner or instructor and
// with any custom parameters; the consumer's outcome service, which
// verifies every replaceResult the service sends (OAuth signature, body
// hash, nonce) and keeps the scores; stand-in pages at Moodle's URLs that
// show, for the browser's Moodle session, what the launch wrote (user,
// enrolment, roles, groups, the service's rows, the session, Moodle's log);
// and a stand-in for a teacher grading in Moodle, followed by a grade
// passback run.
package demo
