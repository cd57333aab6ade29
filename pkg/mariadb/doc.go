// Package mariadb finds or starts a MariaDB server and loads the Moodle
// fixture into it: what the test harness (pkg/testdb) and the demo share.
// It knows servers, sockets and mysqldump scripts, not Moodle's meaning.
package mariadb
