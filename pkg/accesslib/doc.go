// Package accesslib answers Moodle's has_capability() from the database,
// the way lib/accesslib.php does: the roles a user holds along a context's
// path (plus the site's default, front page, guest and not-logged-in roles),
// each role's permission taken from the most specific context that defines
// it (overrides), CAP_PROHIBIT anywhere winning, site administrators
// allowed everything, guests and visitors never given risky capabilities,
// and context locking honoured.
//
// It also answers get_assignable_roles() and can_access_course(), which the
// administration pages need to offer role choices and to let only people
// who can enter a course manage its tools. It only reads; it knows Moodle,
// not LTI.
package accesslib
