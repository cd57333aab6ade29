package settings

// LTIContext is what a launch says about its consumer-side course, for the
// course naming settings.
type LTIContext struct {
	ConsumerKey string // oauth_consumer_key
	ID          string // context_id
	Title       string // context_title
	Label       string // context_label
}

// FormatName gives a course field from an LTI context with one of the
// NameFormats (the plugin's local_ltiprovider_get_new_course_info, without
// the shortname de-duplication): 0 context_id, 1 context_title,
// 2 context_label, 3–5 the same prefixed by "consumer_key:". An unknown
// format gives "".
func FormatName(format int, c LTIContext) string {
	switch format {
	case 0:
		return c.ID
	case 1:
		return c.Title
	case 2:
		return c.Label
	case 3:
		return c.ConsumerKey + ":" + c.ID
	case 4:
		return c.ConsumerKey + ":" + c.Title
	case 5:
		return c.ConsumerKey + ":" + c.Label
	}
	return ""
}
