// Package picture makes the profile picture a consumer sends with a launch
// (user_image, else custom_user_image) the user's Moodle picture, as the
// plugin and enrol_lti did with process_new_icon(), but safely and once:
//
//   - in the background (a bounded queue and workers), after the launch
//     committed, so a launch never waits for or fails on a picture;
//   - only when the URL differs from the last one fetched for the user
//     (local_ltiprovider_picture keeps its sha1), and for an existing user
//     with a picture only when the profile update policy updates profiles;
//   - through the outbound guard (public addresses only, checked after
//     DNS and on every redirect, TLS verified), with a time limit, a size
//     limit, type sniffing (JPEG, PNG, GIF, WebP) and a pixel limit against
//     decompression bombs;
//   - stored as Moodle stores it: f1 (100×100), f2 (35×35) and f3
//     (512×512) of the centred square, JPEG for JPEG pictures and PNG
//     otherwise, in the user context's user/icon/0 area (files rows and
//     the pool, pkg/filedir), and user.picture = the f1 row's id, so
//     Moodle serves it at pluginfile.php/<user context>/user/icon/<theme>/f1.
//
// Failures are logged with the URL's scheme, host and path only.
package picture
