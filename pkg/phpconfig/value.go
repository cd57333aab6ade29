package phpconfig

import (
	"maps"
	"slices"
	"strconv"
)

// Value is a PHP value: nil, bool, int64, float64, string, or *Array.
type Value = any

// Entry is one key/value pair of an Array. Key is int64 or string.
type Entry struct {
	Key   any
	Value Value
}

// Array is an ordered PHP array. Keys are int64 or string, normalised as
// PHP does, and entries keep their insertion order. Arrays returned by the
// reader may share nested arrays with each other: treat them as read-only.
type Array struct {
	entries []Entry
	index   map[any]int // normalised key → position in entries
	// nextFree is PHP's nNextFreeElement; hasNext is false until an int
	// key has been seen, so that [-5 => x, y] puts y at -4 as PHP 8 does.
	nextFree int64
	hasNext  bool
}

// NewArray returns an empty array.
func NewArray() *Array { return &Array{index: map[any]int{}} }

// Len returns the number of entries.
func (a *Array) Len() int {
	if a == nil {
		return 0
	}
	return len(a.entries)
}

// Entries returns the entries in order. The slice is a copy; nested arrays
// are shared and must not be modified.
func (a *Array) Entries() []Entry {
	if a == nil {
		return nil
	}
	return append([]Entry(nil), a.entries...)
}

// Get looks up key (int64, int, string, bool, nil or float64), normalised
// as PHP normalises array keys.
func (a *Array) Get(key any) (Value, bool) {
	if a == nil {
		return nil, false
	}
	k, ok := NormalizeKey(key)
	if !ok {
		return nil, false
	}
	i, ok := a.index[k]
	if !ok {
		return nil, false
	}
	return a.entries[i].Value, true
}

// Set stores v under key after PHP key normalisation. It reports false
// for keys PHP rejects (arrays).
func (a *Array) Set(key any, v Value) bool {
	k, ok := NormalizeKey(key)
	if !ok {
		return false
	}
	a.set(k, v)
	return true
}

// set stores v under an already normalised key.
func (a *Array) set(k any, v Value) {
	if a.index == nil {
		a.index = map[any]int{}
	}
	if i, ok := a.index[k]; ok {
		a.entries[i].Value = v
		return
	}
	a.index[k] = len(a.entries)
	a.entries = append(a.entries, Entry{Key: k, Value: v})
	if n, ok := k.(int64); ok && (!a.hasNext || n >= a.nextFree) {
		a.hasNext = true
		if n < maxInt64 {
			a.nextFree = n + 1
		} else {
			a.nextFree = maxInt64
		}
	}
}

// Append adds v under the next free integer key, like $a[] = v. It fails
// (as PHP does) when that key is already taken at PHP_INT_MAX.
func (a *Array) Append(v Value) bool {
	k := int64(0)
	if a.hasNext {
		k = a.nextFree
	}
	if _, taken := a.index[k]; taken {
		return false
	}
	a.set(k, v)
	return true
}

// Delete removes key, keeping the order of the others. Like PHP, it does
// not lower the next free integer key.
func (a *Array) Delete(key any) {
	k, ok := NormalizeKey(key)
	if !ok {
		return
	}
	i, ok := a.index[k]
	if !ok {
		return
	}
	a.entries = append(a.entries[:i], a.entries[i+1:]...)
	delete(a.index, k)
	for j := i; j < len(a.entries); j++ {
		a.index[a.entries[j].Key] = j
	}
}

// clone copies one level of the array. The reader never modifies an
// array once it is stored anywhere: a write copies the path down to the
// changed element (copy-on-write), which gives PHP's value semantics
// while nested arrays stay shared, as they are in PHP.
func (a *Array) clone() *Array {
	return &Array{
		entries:  slices.Clone(a.entries),
		index:    maps.Clone(a.index),
		nextFree: a.nextFree,
		hasNext:  a.hasNext,
	}
}

// NormalizeKey turns a Go value into a PHP array key (int64 or string):
// canonical decimal strings become ints, bools become 0/1, nil becomes "",
// floats are truncated. It reports false for keys PHP rejects.
func NormalizeKey(key any) (any, bool) {
	switch k := key.(type) {
	case int64:
		return k, true
	case int:
		return int64(k), true
	case string:
		if n, ok := canonicalIntString(k); ok {
			return n, true
		}
		return k, true
	case bool:
		if k {
			return int64(1), true
		}
		return int64(0), true
	case nil:
		return "", true
	case float64:
		return floatToInt(k), true
	}
	return nil, false
}

// canonicalIntString reports whether s is written exactly as PHP would
// print an integer ("-5" yes; "05", "+5", "-0", " 5" no), the rule PHP
// uses to turn string keys into integer keys.
func canonicalIntString(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	digits := s
	if s[0] == '-' {
		digits = s[1:]
	}
	if digits == "" || (digits[0] == '0' && (len(digits) > 1 || s[0] == '-')) {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}
