// Package session hands a browser over to Moodle after a launch: it makes
// Moodle 4.5 treat the browser as logged in as the LTI user, exactly as a
// session Moodle made itself, with the strategy that fits the site's
// session handler:
//
//   - database: a sessions row with the PHP-serialised session, base64, in
//     sessdata (Moodle's \core\session\database);
//   - file: <dataroot>/sessions/sess_<sid> plus the sessions row
//     (\core\session\file, Moodle's default);
//   - redis: the hashes of Moodle 4.5's \core\session\redis, serialised
//     and compressed as the site says (pkg/phpredis);
//   - memcached: the sessions row plus the PHP memcached extension's key
//     (\core\session\memcached on one server, pkg/memcache);
//   - autologin: a tool_mobile key and a redirect through Moodle's own
//     admin/tool/mobile/autologin.php, which works with any handler.
//
// Manager picks the strategy from config.php and Moodle's settings (or the
// session.strategy option) on every login, so a change of dbsessions is
// followed. The launch calls Manager.Login inside its transaction and
// services.php calls Destroy for force_logout. The session contents follow
// complete_user_login(): the full user row, login times, the user_loggedin
// event, the concurrent-login limit. The package knows Moodle's session
// formats, not LTI. docs/sessions.md is the administrators' side.
package session
