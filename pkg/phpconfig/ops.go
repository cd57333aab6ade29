package phpconfig

import (
	"math"
	"strings"
)

// binary evaluates a binary operator; &&, ||, and, or and ?? short-circuit
// like PHP, so an unevaluable right side does not matter when unused.
func (s *state) binary(x *binNode) (Value, error) {
	switch x.op {
	case "&&", "and", "||", "or":
		l, err := s.eval(x.l, false)
		if err != nil {
			return nil, err
		}
		isAnd := x.op == "&&" || x.op == "and"
		if ToBool(l) != isAnd {
			return !isAnd, nil
		}
		r, err := s.eval(x.r, false)
		if err != nil {
			return nil, err
		}
		return ToBool(r), nil
	case "??":
		l, err := s.eval(x.l, true)
		if err != nil || l != nil {
			return l, err
		}
		return s.eval(x.r, false)
	}
	l, err := s.eval(x.l, false)
	if err != nil {
		return nil, err
	}
	r, err := s.eval(x.r, false)
	if err != nil {
		return nil, err
	}
	return s.binop(x.op, l, r, x.line)
}

// binop applies a non-short-circuit binary operator (also used by
// compound assignments such as .=).
func (s *state) binop(op string, a, b Value, line int) (Value, error) {
	switch op {
	case ".":
		return s.toStringWarn(a, line) + s.toStringWarn(b, line), nil
	case "xor":
		return ToBool(a) != ToBool(b), nil
	case "===":
		return identical(a, b), nil
	case "!==":
		return !identical(a, b), nil
	case "|", "&", "^", "<<", ">>":
		return s.bitwise(op, a, b, line)
	case "+", "-", "*", "/", "%", "**":
		return s.arith(op, a, b, line)
	}
	return nil, errf(line, "operator %s is not supported", op)
}

// toNumber converts an arithmetic operand as PHP 8 does: numeric strings
// convert, leading-numeric ones convert with a warning, others are a
// TypeError.
func (s *state) toNumber(v Value, op string, line int) (Value, error) {
	switch x := v.(type) {
	case nil:
		return int64(0), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, float64:
		return x, nil
	case string:
		num, end, ok := parseNumericPrefix(x)
		if !ok {
			return nil, errf(line, "unsupported operand types: non-numeric string %q with %s (PHP 8 throws a TypeError)", x, op)
		}
		if end != len(x) {
			s.warnf(line, "a non-numeric value %q encountered", x)
		}
		return num, nil
	}
	return nil, errf(line, "unsupported operand types: %s with %s", typeName(v), op)
}

// toIntOperand converts an operand of %, |, &, ^, << and >> to int.
func (s *state) toIntOperand(v Value, op string, line int) (int64, error) {
	n, err := s.toNumber(v, op, line)
	if err != nil {
		return 0, err
	}
	if f, ok := n.(float64); ok {
		if !floatIsExactInt(f) {
			s.warnf(line, "implicit conversion from float %s to int loses precision", formatFloat(f))
		}
		return floatToInt(f), nil
	}
	return n.(int64), nil
}

func (s *state) arith(op string, a, b Value, line int) (Value, error) {
	if op == "+" {
		if aa, ok := a.(*Array); ok {
			if bb, ok := b.(*Array); ok {
				// Array union: keys of b that a lacks are appended.
				u := aa.clone()
				for _, e := range bb.entries {
					if _, has := u.index[e.Key]; !has {
						u.set(e.Key, e.Value)
					}
				}
				return u, nil
			}
		}
	}
	if op == "%" {
		x, err := s.toIntOperand(a, op, line)
		if err != nil {
			return nil, err
		}
		y, err := s.toIntOperand(b, op, line)
		if err != nil {
			return nil, err
		}
		if y == 0 {
			return nil, errf(line, "modulo by zero")
		}
		if y == -1 {
			return int64(0), nil
		}
		return x % y, nil
	}
	na, err := s.toNumber(a, op, line)
	if err != nil {
		return nil, err
	}
	nb, err := s.toNumber(b, op, line)
	if err != nil {
		return nil, err
	}
	x, xInt := na.(int64)
	y, yInt := nb.(int64)
	if xInt && yInt {
		if r, ok := intArith(op, x, y); ok {
			return r, nil
		}
		if op == "/" && y == 0 {
			return nil, errf(line, "division by zero")
		}
	}
	fx, fy := toFloat(na), toFloat(nb)
	switch op {
	case "+":
		return fx + fy, nil
	case "-":
		return fx - fy, nil
	case "*":
		return fx * fy, nil
	case "/":
		if fy == 0 {
			return nil, errf(line, "division by zero")
		}
		return fx / fy, nil
	}
	return math.Pow(fx, fy), nil
}

// intArith does integer arithmetic; ok is false when PHP would switch to
// float (overflow, inexact division, negative exponent).
func intArith(op string, x, y int64) (Value, bool) {
	switch op {
	case "+":
		r := x + y
		if (x > 0 && y > 0 && r < 0) || (x < 0 && y < 0 && r >= 0) {
			return nil, false
		}
		return r, true
	case "-":
		r := x - y
		if (x >= 0 && y < 0 && r < 0) || (x < 0 && y > 0 && r >= 0) {
			return nil, false
		}
		return r, true
	case "*":
		if x == 0 || y == 0 {
			return int64(0), true
		}
		r := x * y
		if r/y != x || (x == -1 && y == minInt64) || (y == -1 && x == minInt64) {
			return nil, false
		}
		return r, true
	case "/":
		if y == 0 || (x == minInt64 && y == -1) || x%y != 0 {
			return nil, false
		}
		return x / y, true
	case "**":
		if y < 0 {
			return nil, false
		}
		r := int64(1)
		for i := int64(0); i < y; i++ {
			v, ok := intArith("*", r, x)
			if !ok {
				return nil, false
			}
			r = v.(int64)
			if r == 0 || r == 1 {
				break
			}
		}
		if r == 1 && x == -1 && y%2 == 1 {
			r = -1
		}
		return r, true
	}
	return nil, false
}

func (s *state) bitwise(op string, a, b Value, line int) (Value, error) {
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok && op != "<<" && op != ">>" {
			return stringBitwise(op, sa, sb), nil
		}
	}
	x, err := s.toIntOperand(a, op, line)
	if err != nil {
		return nil, err
	}
	y, err := s.toIntOperand(b, op, line)
	if err != nil {
		return nil, err
	}
	switch op {
	case "|":
		return x | y, nil
	case "&":
		return x & y, nil
	case "^":
		return x ^ y, nil
	}
	if y < 0 {
		return nil, errf(line, "bit shift by negative number")
	}
	if y >= 64 {
		if op == ">>" && x < 0 {
			return int64(-1), nil
		}
		return int64(0), nil
	}
	if op == "<<" {
		return x << uint(y), nil
	}
	return x >> uint(y), nil
}

// stringBitwise applies |, & or ^ byte by byte, as PHP does when both
// operands are strings: | keeps the longer length, & and ^ the shorter.
func stringBitwise(op, a, b string) string {
	if len(a) < len(b) {
		a, b = b, a
	}
	n := len(b)
	out := []byte(a)
	if op != "|" {
		out = out[:n]
	}
	for i := 0; i < n; i++ {
		switch op {
		case "|":
			out[i] = a[i] | b[i]
		case "&":
			out[i] = a[i] & b[i]
		case "^":
			out[i] = a[i] ^ b[i]
		}
	}
	return string(out)
}

func toFloat(v Value) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
	case string:
		if num, _, ok := parseNumericPrefix(x); ok {
			return toFloat(num)
		}
	case *Array:
		if x.Len() > 0 {
			return 1
		}
	}
	return 0
}

func (s *state) unary(op string, v Value, line int) (Value, error) {
	switch op {
	case "!":
		return !ToBool(v), nil
	case "-":
		n, err := s.toNumber(v, "unary -", line)
		if err != nil {
			return nil, err
		}
		if i, ok := n.(int64); ok {
			if i == minInt64 {
				return -float64(i), nil
			}
			return -i, nil
		}
		return -n.(float64), nil
	case "+":
		return s.toNumber(v, "unary +", line)
	case "~":
		switch x := v.(type) {
		case int64:
			return ^x, nil
		case float64:
			return ^floatToInt(x), nil
		case string:
			out := []byte(x)
			for i := range out {
				out[i] = ^out[i]
			}
			return string(out), nil
		}
		return nil, errf(line, "cannot perform bitwise not on %s", typeName(v))
	}
	return nil, errf(line, "operator %s is not supported", op)
}

func (s *state) cast(typ string, v Value, line int) (Value, error) {
	switch typ {
	case "int", "integer":
		n, _ := ToInt(v)
		return n, nil
	case "bool", "boolean":
		return ToBool(v), nil
	case "float", "double":
		if str, ok := v.(string); ok {
			if num, _, ok := parseNumericPrefix(str); ok {
				return toFloat(num), nil
			}
			return 0.0, nil
		}
		return toFloat(v), nil
	case "string", "binary":
		return s.toStringWarn(v, line), nil
	case "array":
		switch x := v.(type) {
		case nil:
			return NewArray(), nil
		case *Array:
			return x, nil
		}
		arr := NewArray()
		arr.Append(v)
		return arr, nil
	case "real", "unset":
		return nil, errf(line, "the (%s) cast was removed in PHP 8", typ)
	}
	return nil, errf(line, "(%s) casts are not supported", typ)
}

// identical is PHP's ===.
func identical(a, b Value) bool {
	switch x := a.(type) {
	case *Array:
		y, ok := b.(*Array)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, e := range x.entries {
			f := y.entries[i]
			if e.Key != f.Key || !identical(e.Value, f.Value) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	}
	switch b.(type) {
	case *Array, nil:
		return false
	}
	return a == b
}

// lowerASCII is strings.ToLower for identifiers (PHP folds ASCII only).
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 32
		}
		return r
	}, s)
}
