// Package settings owns the site settings of the provider: the plugin's
// settings.php values, kept where the plugin kept them (config_plugins,
// plugin local_ltiprovider) so a site that ran the plugin keeps its choices.
//
// migrate writes the defaults; launches, services and the admin pages read
// them through Load; `ltiprovider settings` and the settings page change
// them through Set, which validates like the plugin's form did.
package settings
