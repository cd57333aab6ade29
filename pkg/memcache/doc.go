// Package memcache is the little of memcached's text protocol the service
// needs to keep sessions where Moodle's memcached session handler (the
// PHP memcached extension) keeps them: set, get and delete on one server.
package memcache
