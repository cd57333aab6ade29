package phpconfig

import "strings"

// target is the left-hand side of an assignment: $CFG->prop[k]… or
// $local[k]….
type target struct {
	isProp bool   // $CFG->name; otherwise a local variable
	name   string // property or variable name
	keys   []node // array keys below it; nil entries are []
	line   int
}

// key is an evaluated array key; push is $a[].
type key struct {
	push bool
	k    any
}

func (t target) String() string {
	if t.isProp {
		return "$CFG->" + t.name
	}
	return "$" + t.name
}

// resolveTarget splits an assignable expression into its base and keys.
func (s *state) resolveTarget(n node) (target, error) {
	var keys []node
	for {
		switch x := n.(type) {
		case *indexNode:
			keys = append([]node{x.key}, keys...)
			n = x.base
			continue
		case *propNode:
			name, err := s.propName(x)
			if err != nil {
				return target{}, err
			}
			return target{isProp: true, name: name, keys: keys, line: x.line}, nil
		case *varNode:
			switch {
			case x.name == "CFG":
				return target{}, errf(x.line, "cannot use $CFG (an object) as an array")
			case superglobals[x.name]:
				return target{}, errf(x.line, "assignments to $%s are not supported", x.name)
			}
			return target{name: x.name, keys: keys, line: x.line}, nil
		}
		return target{}, errf(n.lineNo(), "unsupported assignment target")
	}
}

func (s *state) evalKeys(t target) ([]key, error) {
	out := make([]key, len(t.keys))
	for i, kn := range t.keys {
		if kn == nil {
			out[i] = key{push: true}
			continue
		}
		v, err := s.eval(kn, false)
		if err != nil {
			return nil, err
		}
		nk, err := s.arrayKey(v, kn.lineNo())
		if err != nil {
			return nil, err
		}
		out[i] = key{k: nk}
	}
	return out, nil
}

// unresolvedBase returns why the target's base is unresolved, if it is.
func (s *state) unresolvedBase(t target) (string, bool) {
	if t.isProp {
		why, ok := s.cfgUnres[t.name]
		return why, ok
	}
	why, ok := s.localUnres[t.name]
	return why, ok
}

func (s *state) base(t target) (Value, bool) {
	if t.isProp {
		v, ok := s.cfg[t.name]
		return v, ok
	}
	v, ok := s.locals[t.name]
	return v, ok
}

func (s *state) assign(a *assignNode) (Value, error) {
	if v, ok := a.target.(*varNode); ok && v.name == "CFG" {
		return s.assignCFG(a)
	}
	t, err := s.resolveTarget(a.target)
	if err != nil {
		return nil, err
	}
	keys, err := s.evalKeys(t)
	if err != nil {
		return nil, err
	}
	if why, ok := s.unresolvedBase(t); ok && (a.op != "=" || len(keys) > 0) {
		return nil, errf(a.line, "%s is unresolved (%s)", t, why)
	}
	var val Value
	switch a.op {
	case "=":
		val, err = s.eval(a.val, false)
	case "??=":
		var old Value
		if old, err = s.readTarget(t, keys, true); err != nil || old != nil {
			return old, err
		}
		val, err = s.eval(a.val, false)
	default:
		var old, r Value
		if old, err = s.readTarget(t, keys, false); err != nil {
			return nil, err
		}
		if r, err = s.eval(a.val, false); err != nil {
			return nil, err
		}
		val, err = s.binop(strings.TrimSuffix(a.op, "="), old, r, a.line)
	}
	if err != nil {
		return nil, err
	}
	return val, s.store(t, keys, val)
}

// assignCFG handles "$CFG = new stdClass();", which starts $CFG afresh.
func (s *state) assignCFG(a *assignNode) (Value, error) {
	if a.op == "=" {
		if n, ok := a.val.(*newNode); ok && strings.EqualFold(strings.TrimPrefix(n.class, `\`), "stdClass") {
			s.resetCFG()
			s.cfgUnset = false
			return nil, nil
		}
	}
	return nil, errf(a.line, "only $CFG = new stdClass() is supported as an assignment to $CFG")
}

// readTarget reads the current value at t, for compound assignments.
func (s *state) readTarget(t target, keys []key, quiet bool) (Value, error) {
	v, ok := s.base(t)
	if !ok && !quiet {
		s.warnf(t.line, "undefined %s (PHP reads it as null)", t)
	}
	for _, k := range keys {
		if k.push {
			return nil, errf(t.line, "cannot use [] for reading")
		}
		arr, isArr := v.(*Array)
		if !isArr {
			if v != nil && !quiet {
				s.warnf(t.line, "trying to access array offset on %s (PHP reads it as null)", typeName(v))
			}
			return nil, nil
		}
		var found bool
		if v, found = arr.Get(k.k); !found && !quiet {
			s.warnf(t.line, "undefined array key %s (PHP reads it as null)", keyString(k.k))
		}
	}
	return v, nil
}

// store writes val at t, creating arrays on the way like PHP does.
func (s *state) store(t target, keys []key, val Value) error {
	if len(keys) > 0 {
		cur, _ := s.base(t)
		nv, err := s.setIn(cur, keys, val, t.line)
		if err != nil {
			return err
		}
		val = nv
	}
	if t.isProp {
		if s.cfgUnset {
			s.warnf(t.line, "$CFG was unset and not re-created with new stdClass(); PHP 8 stops here with \"Attempt to assign property on null\"")
			s.cfgUnset = false
		}
		s.cfg[t.name] = val
		delete(s.cfgUnres, t.name)
	} else {
		s.locals[t.name] = val
		delete(s.localUnres, t.name)
	}
	return nil
}

// setIn stores val under keys in container c and returns the container,
// which is a new array when c was null (or false, deprecated in PHP 8.1).
func (s *state) setIn(c Value, keys []key, val Value, line int) (Value, error) {
	var arr *Array
	switch x := c.(type) {
	case nil:
		arr = NewArray()
	case *Array:
		arr = x.clone() // stored arrays are never modified in place
	case bool:
		if x {
			return nil, errf(line, "cannot use a scalar value (true) as an array")
		}
		s.warnf(line, "automatic conversion of false to array is deprecated")
		arr = NewArray()
	case string:
		return nil, errf(line, "writing to string offsets is not supported")
	default:
		return nil, errf(line, "cannot use a scalar value (%s) as an array", typeName(c))
	}
	k := keys[0]
	if len(keys) > 1 {
		var old Value
		if !k.push {
			old, _ = arr.Get(k.k)
		}
		child, err := s.setIn(old, keys[1:], val, line)
		if err != nil {
			return nil, err
		}
		val = child
	}
	if k.push {
		if !arr.Append(val) {
			return nil, errf(line, "cannot add element to the array as the next element is already occupied")
		}
	} else {
		arr.set(k.k, val)
	}
	return arr, nil
}

// unset removes a variable, a property or an array element.
func (s *state) unset(n node) error {
	if v, ok := n.(*varNode); ok && v.name == "CFG" {
		s.resetCFG()
		s.cfgUnset = true
		return nil
	}
	t, err := s.resolveTarget(n)
	if err != nil {
		return err
	}
	keys, err := s.evalKeys(t)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		if t.isProp {
			delete(s.cfg, t.name)
			delete(s.cfgUnres, t.name)
		} else {
			delete(s.locals, t.name)
			delete(s.localUnres, t.name)
		}
		return nil
	}
	if _, unres := s.unresolvedBase(t); unres {
		return nil // still unknown either way
	}
	for _, k := range keys {
		if k.push {
			return errf(t.line, "cannot use [] for unsetting")
		}
	}
	v, _ := s.base(t)
	if nv, changed := unsetIn(v, keys); changed {
		if t.isProp {
			s.cfg[t.name] = nv
		} else {
			s.locals[t.name] = nv
		}
	}
	return nil
}

// unsetIn removes the element at keys below c, copying the arrays on the
// way, and reports whether anything was removed.
func unsetIn(c Value, keys []key) (Value, bool) {
	arr, ok := c.(*Array)
	if !ok {
		return c, false
	}
	child, ok := arr.Get(keys[0].k)
	if !ok {
		return c, false
	}
	out := arr.clone()
	if len(keys) == 1 {
		out.Delete(keys[0].k)
		return out, true
	}
	nc, changed := unsetIn(child, keys[1:])
	if !changed {
		return c, false
	}
	out.set(keys[0].k, nc)
	return out, true
}

// markTargets makes every variable or property that n assigns unresolved:
// used when a statement could not be evaluated to its end.
func (s *state) markTargets(n node, reason string) {
	walk(n, func(m node) {
		a, ok := m.(*assignNode)
		if !ok {
			return
		}
		if v, ok := a.target.(*varNode); ok && v.name == "CFG" {
			if len(s.cfg) > 0 {
				s.warnf(a.line, "$CFG itself was assigned; all earlier properties are unresolved")
			}
			for name := range s.cfg {
				s.unresolve(name, reason)
			}
			return
		}
		t, err := s.resolveTarget(a.target)
		if err != nil {
			s.warnf(a.line, "an assignment was not evaluated and its target is unknown: %v", err)
			return
		}
		if t.isProp {
			s.unresolve(t.name, reason)
		} else {
			s.unresolveLocal(t.name, reason)
		}
	})
}
