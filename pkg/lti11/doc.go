// Package lti11 is the meaning of an LTI 1.1 basic launch on top of
// pkg/oauth1: which parameters the consumer signed (query, form and
// Authorization header) and which are the launch data (the POSTed
// fields), the plugin's base64 encoding of launch data, the checks a
// basic-lti-launch-request must pass after its signature verified, role
// parsing (context, institution and system roles, short names and URNs,
// never by substring), and the lti_errormsg redirect to a validated
// launch_presentation_return_url.
//
// pkg/launch uses it for tool.php; services.php and membership sync use
// its roles. It knows LTI, not Moodle, SQL or HTTP servers.
package lti11
