package phpserialize

import "strconv"

// Array is a PHP array: ordered entries whose keys are int64 or string.
type Array struct {
	Entries []Entry
}

// Entry is one key and value of an Array, or one property of an Object.
type Entry struct {
	Key   any // int64 or string
	Value any
}

// Object is a PHP object: a class name ("stdClass") and its properties in
// order. Protected and private property names carry PHP's NUL markers
// ("\x00*\x00name"), as serialize() writes them.
type Object struct {
	Class string
	Props []Entry
}

// NewArray returns an empty array.
func NewArray() *Array { return &Array{} }

// NewObject returns an object of class with no properties.
func NewObject(class string) *Object { return &Object{Class: class} }

// StdClass returns an empty stdClass object.
func StdClass() *Object { return NewObject("stdClass") }

// Set stores value under key, as PHP's $a[$key] = $value does: a numeric
// string key becomes an int key (see Key), and an existing key keeps its
// place. It returns the array, for chaining.
func (a *Array) Set(key, value any) *Array {
	a.Entries = set(a.Entries, Key(key), value)
	return a
}

// Get returns the value under key and whether it exists.
func (a *Array) Get(key any) (any, bool) { return get(a.Entries, Key(key)) }

// Len is the number of entries.
func (a *Array) Len() int { return len(a.Entries) }

// Set stores a property, as $o->name = $value does: an existing property
// keeps its place. It returns the object, for chaining.
func (o *Object) Set(name string, value any) *Object {
	o.Props = set(o.Props, name, value)
	return o
}

// Get returns a property and whether it exists.
func (o *Object) Get(name string) (any, bool) { return get(o.Props, name) }

// Unset removes a property, as unset($o->name) does.
func (o *Object) Unset(name string) {
	for i, e := range o.Props {
		if e.Key == name {
			o.Props = append(o.Props[:i], o.Props[i+1:]...)
			return
		}
	}
}

func set(entries []Entry, key, value any) []Entry {
	for i, e := range entries {
		if e.Key == key {
			entries[i].Value = value
			return entries
		}
	}
	return append(entries, Entry{Key: key, Value: value})
}

func get(entries []Entry, key any) (any, bool) {
	for _, e := range entries {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

// Key converts a Go key to the key PHP would store: ints become int64, and
// a string that is a canonical decimal integer ("12", "-3", not "012",
// "-0" or "+1") becomes an int64, as in PHP arrays. Other strings stay.
func Key(k any) any {
	switch x := k.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case string:
		if n, ok := canonicalInt(x); ok {
			return n
		}
		return x
	}
	return k
}

func canonicalInt(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" || (digits[0] == '0' && len(digits) > 1) || (s[0] == '-' && digits == "0") {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
