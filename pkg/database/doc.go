// Package database connects to Moodle's MySQL or MariaDB database the way
// Moodle's mysqli driver does (the site's collation, strict SQL mode, the
// table prefix written as {table} in queries) and gives the rest of the
// service transactions at READ COMMITTED that are retried on deadlocks and
// lost unique races, with hooks for work before and after the commit and
// after a rollback, server-side prepared statements for what runs often,
// driver errors mapped to ErrNotFound, ErrDuplicate and ErrDeadlock, and
// named locks (GET_LOCK) for work one replica at a time.
package database
