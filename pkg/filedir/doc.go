// Package filedir is Moodle's file pool on disk, as Moodle 4.5's
// file_system_filedir keeps it: every file's bytes once, named by their
// sha1 (the files table's contenthash), at
// $CFG->filedir/<h0h1>/<h2h3>/<contenthash> ($CFG->filedir defaults to
// $CFG->dataroot/filedir), written atomically with $CFG->filepermissions
// in folders made with $CFG->directorypermissions, and moved to
// $CFG->trashdir when no files row uses them any more (Moodle's cron
// empties the trash).
//
// Files and folders the service makes get the owner and group of the pool
// folder when it may give them (root), else its group, so Moodle's PHP can
// read and replace them. The package knows the disk, not the files table:
// callers decide (pkg/moodle.ContentHashInUse) when bytes may go.
package filedir
