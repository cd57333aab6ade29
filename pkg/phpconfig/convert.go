package phpconfig

import (
	"math"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpserialize"
)

const (
	maxInt64 = math.MaxInt64
	minInt64 = math.MinInt64
	// floatPrecision is PHP's default "precision" ini setting, which
	// governs (string)$float, echo and concatenation (var_export and
	// json_encode use serialize_precision instead).
	floatPrecision = 14
)

// ToString converts v as PHP 8's (string) cast does with default ini
// settings. Arrays become "Array" (PHP also raises a warning).
func ToString(v Value) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "1"
		}
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return formatFloat(x)
	case string:
		return x
	case *Array:
		return "Array"
	}
	return ""
}

// ToBool converts v as PHP's (bool) cast does: "", "0", 0, 0.0, -0.0,
// null, false and the empty array are false; everything else (NAN, "0.0",
// " ") is true.
func ToBool(v Value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0 // NaN != 0 is true, as in PHP
	case string:
		return x != "" && x != "0"
	case *Array:
		return x.Len() > 0
	}
	return false
}

// ToInt converts v as PHP's (int) cast does. The bool reports whether the
// conversion was exact: true for null, bools, ints, integral floats within
// range and strings that are wholly numeric with an integral value
// (" 42 ", "1e3"); false when PHP would truncate, wrap or ignore trailing
// text ("12abc", "1.5", "", "abc", arrays, NAN).
func ToInt(v Value) (int64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return floatToInt(x), floatIsExactInt(x)
	case string:
		num, end, ok := parseNumericPrefix(x)
		if !ok {
			return 0, false
		}
		whole := end == len(x)
		switch n := num.(type) {
		case int64:
			return n, whole
		case float64:
			return floatToIntCap(n), whole && floatIsExactInt(n)
		}
	case *Array:
		if x.Len() > 0 {
			return 1, false
		}
		return 0, false
	}
	return 0, false
}

// floatIsExactInt reports whether f converts to int64 without loss.
func floatIsExactInt(f float64) bool {
	return f == math.Trunc(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0
}

// floatToInt is PHP's zend_dval_to_lval on 64-bit platforms: truncation
// in range, 0 for NAN and INF, and wrap-around modulo 2^64 outside it.
func floatToInt(f float64) int64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	if f >= -9223372036854775808.0 && f < 9223372036854775808.0 {
		return int64(f)
	}
	const two64 = 18446744073709551616.0
	m := math.Mod(f, two64)
	if m < 0 {
		m += two64
	}
	if m >= 9223372036854775808.0 {
		m -= two64
	}
	return int64(m)
}

// floatToIntCap is PHP's zend_dval_to_lval_cap, used when a numeric
// string holds a value too large for an int: it saturates.
func floatToIntCap(f float64) int64 {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0
	case f >= 9223372036854775808.0:
		return maxInt64
	case f < -9223372036854775808.0:
		return minInt64
	}
	return int64(f)
}

// formatFloat prints f as PHP does when a float becomes a string:
// zend_gcvt with the "precision" ini default of 14 significant digits.
func formatFloat(f float64) string { return phpserialize.FormatFloatPrecision(f, floatPrecision) }

// isPHPSpace is the whitespace PHP allows around numeric strings.
func isPHPSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// parseNumericPrefix reads the numeric prefix of s the way PHP 8's
// is_numeric_string does: leading whitespace, a sign, digits with an
// optional fraction and exponent. end is where the number (plus any
// trailing whitespace) stops; ok is false when there is no number at all.
// Integers too large for int64 come back as float64, as in PHP.
func parseNumericPrefix(s string) (num Value, end int, ok bool) {
	i := 0
	for i < len(s) && isPHPSpace(s[i]) {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intDigits := i - intStart
	isFloat := false
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if intDigits > 0 || j > i+1 {
			isFloat = true
			i = j
		}
	}
	if intDigits == 0 && !isFloat {
		return nil, 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			isFloat = true
			i = j
		}
	}
	text := s[start:i]
	end = i
	for end < len(s) && isPHPSpace(s[end]) {
		end++
	}
	if end != len(s) {
		end = i // trailing garbage: whitespace before it is not "trailing"
	}
	if !isFloat {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n, end, true
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return nil, 0, false
	}
	return f, end, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// typeName is PHP's name for v's type, used in messages.
func typeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case int64, int:
		return "int"
	case float64:
		return "float"
	case string:
		return "string"
	case *Array:
		return "array"
	}
	return "unknown"
}
