package coursecopy

// Availability trees ({"op":"&","c":[…],"showc":[…]}) name course modules
// (completion conditions; -1 is "the previous activity" and stays), grade
// items (grade conditions), groups and groupings. The copy rewrites those
// ids to the copies; a condition on something not copied points at 0,
// which Moodle shows as a condition that cannot be met, as its restore does,
// and the report says so. Other condition types carry no ids and are kept.

// remapAvailability rewrites the ids of an availability tree. what names
// the owner, for the report.
func (c *copier) remapAvailability(tree, what string) any {
	if tree == "" {
		return nil
	}
	v, err := decodeJSON(tree)
	if err != nil {
		c.rep.warn("%s: availability conditions could not be read and were dropped", what)
		return nil
	}
	c.remapConditions(v, what)
	return encodePHPJSON(v)
}

func (c *copier) remapConditions(v any, what string) {
	obj, ok := v.(jobject)
	if !ok {
		return
	}
	if kids, ok := obj.get("c"); ok {
		if arr, ok := kids.([]any); ok {
			for _, k := range arr {
				c.remapConditions(k, what)
			}
		}
	}
	t, _ := obj.get("type")
	typ, _ := t.(string)
	var key, table string
	switch typ {
	case "completion":
		key, table = "cm", "course_modules"
	case "grade":
		key, table = "id", "grade_items"
	case "group":
		key, table = "id", "groups"
	case "grouping":
		key, table = "id", "groupings"
	default:
		return
	}
	raw, ok := obj.get(key)
	if !ok {
		return // "any group"
	}
	old, ok := jsonInt(raw)
	if !ok || old <= 0 {
		return
	}
	n := c.ref(table, old)
	if n == 0 {
		c.rep.warn("%s: a %s condition refers to something that was not copied", what, typ)
	}
	obj.set(key, jsonNum(n))
}
