package phpconfig

import (
	"fmt"
	"strings"
)

// evalError means an expression could not be evaluated faithfully. The
// property it was assigned to becomes Unresolved with this message.
type evalError struct {
	line int
	msg  string
}

func (e *evalError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func errf(line int, format string, args ...any) error {
	return &evalError{line: line, msg: fmt.Sprintf(format, args...)}
}

// state is everything a config file has set so far.
type state struct {
	path       string
	cfg        map[string]Value
	cfgUnres   map[string]string
	cfgUnset   bool // unset($CFG) seen and $CFG not re-created yet
	locals     map[string]Value
	localUnres map[string]string
	consts     map[string]Value
	constUnres map[string]string
	lookupEnv  func(string) (string, bool)
	putenv     map[string]*string // putenv() calls; nil value means removed
	userFuncs  map[string][]token // functions the file declares, by lower-case name
	includes   []Include
	warnings   []string
}

func newState(path string, lookupEnv func(string) (string, bool)) *state {
	return &state{
		path:       path,
		cfg:        map[string]Value{},
		cfgUnres:   map[string]string{},
		locals:     map[string]Value{},
		localUnres: map[string]string{},
		consts:     map[string]Value{},
		constUnres: map[string]string{},
		lookupEnv:  lookupEnv,
		putenv:     map[string]*string{},
		userFuncs:  map[string][]token{},
	}
}

func (s *state) warnf(line int, format string, args ...any) {
	s.warnings = append(s.warnings, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
}

// unresolve marks a property as unknown. The first reason is kept: it is
// the root cause, later ones only repeat it.
func (s *state) unresolve(name, reason string) {
	delete(s.cfg, name)
	if _, ok := s.cfgUnres[name]; !ok {
		s.cfgUnres[name] = reason
	}
}

func (s *state) unresolveLocal(name, reason string) {
	delete(s.locals, name)
	if _, ok := s.localUnres[name]; !ok {
		s.localUnres[name] = reason
	}
}

// resetCFG empties $CFG, as unset($CFG) and $CFG = new stdClass() do.
func (s *state) resetCFG() {
	s.cfg = map[string]Value{}
	s.cfgUnres = map[string]string{}
}

// superglobals depend on the request or the PHP runtime, never on the
// file, so reading them makes a value unresolvable.
var superglobals = map[string]bool{
	"_SERVER": true, "_GET": true, "_POST": true, "_COOKIE": true, "_FILES": true,
	"_ENV": true, "_REQUEST": true, "_SESSION": true, "GLOBALS": true, "this": true,
	"argv": true, "argc": true,
}

// eval computes n. quiet suppresses PHP's "undefined" warnings, as isset,
// empty and ?? do.
func (s *state) eval(n node, quiet bool) (Value, error) {
	switch x := n.(type) {
	case *litNode:
		return x.v, nil
	case *tmplNode:
		var b strings.Builder
		for _, p := range x.parts {
			v, err := s.eval(p, false)
			if err != nil {
				return nil, err
			}
			b.WriteString(s.toStringWarn(v, p.lineNo()))
		}
		return b.String(), nil
	case *varNode:
		return s.readVar(x, quiet)
	case *propNode:
		return s.readProp(x, quiet)
	case *indexNode:
		return s.readIndex(x, quiet)
	case *constNode:
		return s.constant(x)
	case *callNode:
		return s.call(x)
	case *unaryNode:
		v, err := s.eval(x.x, false)
		if err != nil {
			return nil, err
		}
		return s.unary(x.op, v, x.line)
	case *castNode:
		v, err := s.eval(x.x, false)
		if err != nil {
			return nil, err
		}
		return s.cast(x.typ, v, x.line)
	case *binNode:
		return s.binary(x)
	case *ternNode:
		c, err := s.eval(x.cond, false)
		if err != nil {
			return nil, err
		}
		if ToBool(c) {
			if x.then == nil {
				return c, nil
			}
			return s.eval(x.then, false)
		}
		return s.eval(x.els, false)
	case *arrayNode:
		arr := NewArray()
		for i, vn := range x.vals {
			v, err := s.eval(vn, false)
			if err != nil {
				return nil, err
			}
			if x.keys[i] == nil {
				if !arr.Append(v) {
					return nil, errf(vn.lineNo(), "cannot add element to the array as the next element is already occupied")
				}
				continue
			}
			k, err := s.eval(x.keys[i], false)
			if err != nil {
				return nil, err
			}
			nk, err := s.arrayKey(k, x.keys[i].lineNo())
			if err != nil {
				return nil, err
			}
			arr.set(nk, v)
		}
		return arr, nil
	case *assignNode:
		return s.assign(x)
	case *issetNode:
		for _, a := range x.args {
			v, err := s.eval(a, true)
			if err != nil {
				return nil, err
			}
			if v == nil {
				return false, nil
			}
		}
		return true, nil
	case *emptyNode:
		v, err := s.eval(x.x, true)
		if err != nil {
			return nil, err
		}
		return !ToBool(v), nil
	case *silenceNode:
		return s.eval(x.x, quiet)
	case *newNode:
		return nil, errf(x.line, "objects (new %s) are not supported", x.class)
	}
	return nil, errf(n.lineNo(), "unsupported expression")
}

func (s *state) readVar(x *varNode, quiet bool) (Value, error) {
	switch {
	case x.name == "CFG":
		return nil, errf(x.line, "$CFG itself is an object and cannot be used as a value")
	case superglobals[x.name]:
		return nil, errf(x.line, "$%s depends on the PHP runtime or the request", x.name)
	}
	if why, ok := s.localUnres[x.name]; ok {
		return nil, errf(x.line, "uses $%s, which is unresolved (%s)", x.name, why)
	}
	v, ok := s.locals[x.name]
	if !ok && !quiet {
		s.warnf(x.line, "undefined variable $%s (PHP reads it as null)", x.name)
	}
	return v, nil
}

// propName returns the property name of $CFG->name, $CFG->$v or
// $CFG->{expr}. Only properties of $CFG are supported.
func (s *state) propName(x *propNode) (string, error) {
	obj, ok := x.obj.(*varNode)
	if !ok || obj.name != "CFG" {
		return "", errf(x.line, "only properties of $CFG are supported")
	}
	if x.dyn == nil {
		return x.name, nil
	}
	v, err := s.eval(x.dyn, false)
	if err != nil {
		return "", err
	}
	if _, isArr := v.(*Array); isArr {
		return "", errf(x.line, "an array cannot be a property name")
	}
	return ToString(v), nil
}

func (s *state) readProp(x *propNode, quiet bool) (Value, error) {
	name, err := s.propName(x)
	if err != nil {
		return nil, err
	}
	if why, ok := s.cfgUnres[name]; ok {
		return nil, errf(x.line, "uses $CFG->%s, which is unresolved (%s)", name, why)
	}
	v, ok := s.cfg[name]
	if !ok && !quiet {
		s.warnf(x.line, "undefined property $CFG->%s (PHP reads it as null)", name)
	}
	return v, nil
}

func (s *state) readIndex(x *indexNode, quiet bool) (Value, error) {
	if x.key == nil {
		return nil, errf(x.line, "cannot use [] for reading")
	}
	base, err := s.eval(x.base, quiet)
	if err != nil {
		return nil, err
	}
	k, err := s.eval(x.key, false)
	if err != nil {
		return nil, err
	}
	switch b := base.(type) {
	case *Array:
		nk, err := s.arrayKey(k, x.line)
		if err != nil {
			return nil, err
		}
		v, ok := b.Get(nk)
		if !ok && !quiet {
			s.warnf(x.line, "undefined array key %s (PHP reads it as null)", keyString(nk))
		}
		return v, nil
	case string:
		return s.stringOffset(b, k, x.line, quiet)
	}
	if !quiet {
		s.warnf(x.line, "trying to access array offset on %s (PHP reads it as null)", typeName(base))
	}
	return nil, nil
}

// stringOffset is $str[$i]: one byte, negative offsets count from the end.
func (s *state) stringOffset(str string, k Value, line int, quiet bool) (Value, error) {
	var i int64
	switch kk := k.(type) {
	case int64:
		i = kk
	case bool:
		i, _ = ToInt(kk)
	case string:
		n, ok := canonicalIntString(kk)
		if !ok {
			return nil, errf(line, "cannot access offset %q on a string", kk)
		}
		i = n
	default:
		return nil, errf(line, "cannot access offset of type %s on a string", typeName(k))
	}
	if i < 0 {
		i += int64(len(str))
	}
	if i < 0 || i >= int64(len(str)) {
		if !quiet {
			s.warnf(line, "uninitialized string offset %d (PHP reads it as \"\")", i)
		}
		if quiet {
			return nil, nil
		}
		return "", nil
	}
	return str[i : i+1], nil
}

// arrayKey normalises k as an array key, as PHP does for $a[k] and k => v.
func (s *state) arrayKey(k Value, line int) (any, error) {
	if f, ok := k.(float64); ok && !floatIsExactInt(f) {
		s.warnf(line, "implicit conversion from float %s to int loses precision", formatFloat(f))
	}
	nk, ok := NormalizeKey(k)
	if !ok {
		return nil, errf(line, "illegal offset type %s", typeName(k))
	}
	return nk, nil
}

func keyString(k any) string {
	if str, ok := k.(string); ok {
		return fmt.Sprintf("%q", str)
	}
	return fmt.Sprint(k)
}

// toStringWarn is ToString plus PHP's "Array to string conversion" warning.
func (s *state) toStringWarn(v Value, line int) string {
	if _, ok := v.(*Array); ok {
		s.warnf(line, "array to string conversion (PHP gives \"Array\")")
	}
	return ToString(v)
}
