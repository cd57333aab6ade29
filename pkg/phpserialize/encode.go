package phpserialize

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Marshal returns the serialize() form of v (see the package doc for the
// accepted types).
func Marshal(v any) ([]byte, error) {
	var b []byte
	return appendValue(b, v)
}

// MarshalSession encodes session variables with PHP's "php" serialize
// handler, the format of Moodle's session data: each name, "|", then its
// serialized value, with nothing between variables.
func MarshalSession(vars []Entry) ([]byte, error) {
	var b []byte
	for _, v := range vars {
		name, ok := v.Key.(string)
		if !ok || name == "" || strings.ContainsAny(name, "|!") {
			return nil, fmt.Errorf("phpserialize: bad session variable name %v", v.Key)
		}
		b = append(b, name...)
		b = append(b, '|')
		var err error
		if b, err = appendValue(b, v.Value); err != nil {
			return nil, fmt.Errorf("phpserialize: session variable %s: %w", name, err)
		}
	}
	return b, nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "N;"...), nil
	case bool:
		if x {
			return append(b, "b:1;"...), nil
		}
		return append(b, "b:0;"...), nil
	case int:
		return appendInt(b, int64(x)), nil
	case int64:
		return appendInt(b, x), nil
	case float64:
		b = append(b, "d:"...)
		b = append(b, FormatFloat(x)...)
		return append(b, ';'), nil
	case string:
		return appendString(b, x), nil
	case *Array:
		b = append(b, "a:"...)
		b = strconv.AppendInt(b, int64(len(x.Entries)), 10)
		b = append(b, ":{"...)
		for _, e := range x.Entries {
			var err error
			switch k := e.Key.(type) {
			case int64:
				b = appendInt(b, k)
			case string:
				b = appendString(b, k)
			default:
				return nil, fmt.Errorf("array key of type %T", e.Key)
			}
			if b, err = appendValue(b, e.Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case *Object:
		if x.Class == "" {
			return nil, fmt.Errorf("object without a class name")
		}
		b = append(b, "O:"...)
		b = strconv.AppendInt(b, int64(len(x.Class)), 10)
		b = append(b, ":\""...)
		b = append(b, x.Class...)
		b = append(b, "\":"...)
		b = strconv.AppendInt(b, int64(len(x.Props)), 10)
		b = append(b, ":{"...)
		for _, p := range x.Props {
			name, ok := p.Key.(string)
			if !ok {
				return nil, fmt.Errorf("property name of type %T", p.Key)
			}
			b = appendString(b, name)
			var err error
			if b, err = appendValue(b, p.Value); err != nil {
				return nil, fmt.Errorf("property %q: %w", name, err)
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("cannot serialise %T", v)
}

func appendInt(b []byte, n int64) []byte {
	b = append(b, "i:"...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, ';')
}

// appendString writes s:<byte length>:"<bytes>"; — no escaping: the length
// tells PHP where the string ends.
func appendString(b []byte, s string) []byte {
	b = append(b, "s:"...)
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ":\""...)
	b = append(b, s...)
	return append(b, "\";"...)
}

// FormatFloat writes f as PHP does with serialize_precision = -1 (the
// default since PHP 7.1): the shortest digits that read back as f, in fixed
// notation unless the decimal exponent is below -4 or above 17, where PHP
// writes 1.0E+25 (always with a fraction digit). INF, -INF and NAN are
// PHP's spellings.
func FormatFloat(f float64) string { return FormatFloatPrecision(f, 0) }

// FormatFloatPrecision writes f as PHP's zend_gcvt does with precision
// significant digits — 14 is PHP's "precision" ini default, used when a
// float becomes a string — or, for precision 0, the shortest digits that
// read back as f (serialize_precision = -1). Exponent form is used when the
// decimal exponent is below -4 or not below the precision (17 for the
// shortest digits).
func FormatFloatPrecision(f float64, precision int) string {
	switch {
	case math.IsNaN(f):
		return "NAN"
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	limit := precision
	e := strconv.FormatFloat(f, 'e', precision-1, 64) // d.ddddde±XX
	if precision == 0 {
		limit = 17
		e = strconv.FormatFloat(f, 'e', -1, 64) // shortest round-trip digits
	}
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	exp, _ := strconv.Atoi(expStr)
	decpt := exp + 1 // digits before the decimal point, as zend_dtoa counts
	if decpt < -3 || decpt > limit {
		frac := digits[1:]
		if frac == "" {
			frac = "0"
		}
		es := strconv.Itoa(decpt - 1)
		if decpt-1 >= 0 {
			es = "+" + es
		}
		return sign + digits[:1] + "." + frac + "E" + es
	}
	if decpt <= 0 {
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	}
	if len(digits) <= decpt {
		return sign + digits + strings.Repeat("0", decpt-len(digits))
	}
	return sign + digits[:decpt] + "." + digits[decpt:]
}
