// Package layout applies a launch's layout (the plugin's hide header,
// footer, left or right blocks, custom CSS and force navigation) to
// Moodle 4.5 Boost pages, for browsers in an LTI session only.
//
// Moodle lets an outside service into its pages only through the admin
// setting "Additional HTML within HEAD" (additionalhtmlhead). Install puts
// one script tag there; the script (layout.js, per user, never cached)
// links the user's stylesheet (layout.css), keeps a force-navigation user
// inside the tool's course or activity, and gives people who may manage a
// course's tools an "LTI Provider" link in the course's More menu.
package layout
