// Package migrate creates and upgrades the service's tables in Moodle's
// database: local_ltiprovider and local_ltiprovider_user exactly as the
// plugin's install.xml defined them (so sites that used the plugin keep
// their rows), the plugin's upgrade columns, and the service's own
// local_ltiprovider_* tables. Steps are idempotent, recorded in
// local_ltiprovider_schema and run under a lock, so several replicas may
// migrate at once; missing plugin settings are written with their defaults.
package migrate
