// Package provision turns an LTI person into a Moodle user and gives them
// their place in a tool's course, the way the plugin did it but without its
// bugs: find or create the user (the plugin's usernames, so existing LTI
// users are found), apply the profile update policy, refuse suspended,
// deleted and unconfirmed accounts, enrol with the tool's rules (enrolinst
// and enrollearn, the enrolment window and period, maxenrolled counted
// correctly, the course and activity roles) and add to the tool's group.
//
// The launch calls it inside its transaction; membership sync creates and
// enrols users "as a launch would" through it. It takes a
// database.Querier, so the caller decides the transaction, and writes
// Moodle's tables only through pkg/moodle and the service's through
// pkg/store. It knows no HTTP and no OAuth.
package provision
