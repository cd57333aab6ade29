// Package manage changes provided tools the way the plugin's edit form
// (edit_form.php, edit.php, lib.php) did, for both the administration
// pages and `ltiprovider tool`: the editable fields and their parsing, the
// form's defaults, the choices it offers (the course and its live
// activities; the roles the person may assign in the course) and its
// validation rules (end date not before start date; completion enabled
// for requirecompletion and sendcompletion; member sync only for course
// tools), so a value the web form refuses the command line refuses too.
package manage
