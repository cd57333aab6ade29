// Package launch is the LTI 1.1 launch endpoint, /local/ltiprovider/tool.php:
// what the plugin's tool.php did, done right. A launch is read (POST only,
// bounded body), its tool resolved (by id, or by context_id and
// resource_link_id), its OAuth signature verified against the public URL
// the consumer used, and then, in one transaction, its consumer key checked
// against the tool's bound keys, its user found or created, enrolled and
// grouped, its outcome data recorded per resource link, its layout saved
// and its browser handed to a Moodle session; finally the browser is
// redirected to the course or activity (or, when Moodle forbids framing,
// sent there in a new window).
//
// Errors before the signature verified are escaped HTML pages that reveal
// nothing; errors after it go back to the consumer's
// launch_presentation_return_url with lti_errormsg when it sent a valid
// one. A failed launch leaves nothing behind but its spent nonce.
//
// The package uses lti11 and oauth1 for the protocol, provision, moodle and
// store for the database, session for the handoff and web for HTTP
// plumbing. docs/launch.md describes it for administrators.
package launch
