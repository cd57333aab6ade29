// Package services serves /local/ltiprovider/services.php, the plugin's
// signed service endpoint: custom_service create_context (the course of an
// LTI context, made from a template course), duplicate_resource (a copy of
// an activity for a resource link) and force_logout (the caller's Moodle
// session ends).
//
// A request is verified like a launch (OAuth 1.0a with the tool's secret or
// the global shared secret, nonces, a two-sided timestamp window, the public
// URL from Moodle's wwwroot) and runs in one transaction. Answers are the
// plugin's JSON records; errors are an HTTP status with
// {"error": code, "message": text}, never internals.
package services
