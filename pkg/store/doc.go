// Package store owns the service's own tables: the plugin's tool table
// (local_ltiprovider) and per-tool user table (local_ltiprovider_user), and
// the local_ltiprovider_* tables the service adds.
//
// Launches, services, sync jobs and the admin pages read and write tools
// only through this package. It issues SQL through database.Querier, so the
// caller decides the transaction; it knows nothing of HTTP or LTI.
package store
