package phpconfig

import (
	"fmt"
	"sort"
	"strings"
)

// Code the reader does not run (control structures, functions, statements
// it cannot parse) is skipped whole; this file finds where such code ends
// and what it might assign, so that those values become Unresolved
// instead of silently keeping an earlier value.

// declareFunctions records the top-level functions the file declares
// before running it, because PHP lets a file call a function declared
// further down.
func (r *runner) declareFunctions() {
	toks := r.p.toks
	depth := 0
	for i := 0; i < len(toks)-1; i++ {
		t := toks[i]
		switch {
		case t.kind == tOp && (t.text == "(" || t.text == "[" || t.text == "{" || t.text == "#["):
			depth++
		case t.kind == tOp && (t.text == ")" || t.text == "]" || t.text == "}"):
			depth--
		case depth == 0 && isWordTok(t, "function") && toks[i+1].kind == tName:
			end := skipStmt(toks, i)
			r.s.userFuncs[lowerASCII(toks[i+1].text)] = toks[i:end]
			i = end - 1
		}
	}
}

// markSkipped makes everything the skipped tokens may assign unresolved,
// with why(line of the assignment) as the reason, and returns the names
// for the warning.
func (r *runner) markSkipped(toks []token, why func(line int) string) []string {
	s := r.s
	a := scanAssigned(toks)
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if a.cfgReset >= 0 {
		for name := range s.cfg {
			s.unresolve(name, why(a.cfgReset))
		}
		add("$CFG itself")
	}
	for _, ref := range a.props {
		s.unresolve(ref.name, why(ref.line))
		add("$CFG->" + ref.name)
	}
	for _, ref := range a.locals {
		s.unresolveLocal(ref.name, why(ref.line))
		add("$" + ref.name)
	}
	for _, ref := range a.consts {
		if _, ok := s.consts[ref.name]; !ok {
			s.constUnres[ref.name] = why(ref.line)
			add(ref.name)
		}
	}
	if a.dynamic >= 0 {
		s.warnf(a.dynamic, "a $CFG property with a computed name is assigned in code that is not evaluated; it cannot be listed as unresolved")
	}
	sort.Strings(names)
	return names
}

// markUserCalls handles calls to functions the file itself declares: they
// are not evaluated, so whatever their bodies assign becomes unresolved.
func (r *runner) markUserCalls(n node) {
	walk(n, func(m node) {
		c, ok := m.(*callNode)
		if !ok {
			return
		}
		name := lowerASCII(strings.TrimPrefix(c.name, `\`))
		body, ok := r.s.userFuncs[name]
		if !ok {
			return
		}
		names := r.markSkipped(body, func(line int) string {
			return fmt.Sprintf("line %d: assigned by %s(), called at line %d, which the reader does not evaluate", line, c.name, c.line)
		})
		if len(names) > 0 {
			r.s.warnf(c.line, "call to %s() not evaluated; unresolved because it assigns them: %s", c.name, strings.Join(names, ", "))
		}
	})
}

// skipSimple returns the index just after the statement starting at i:
// after its ";" (or "?>") at bracket depth 0, or before an unmatched "}".
func skipSimple(toks []token, i int) int {
	depth := 0
	for ; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tEOF:
			return i
		case t.kind == tClose && depth == 0:
			return i + 1
		case t.kind != tOp:
		case t.text == "(" || t.text == "[" || t.text == "{" || t.text == "#[":
			depth++
		case t.text == ")" || t.text == "]" || t.text == "}":
			depth--
			if depth < 0 {
				return i
			}
		case t.text == ";" && depth == 0:
			return i + 1
		}
	}
	return i
}

// skipBalanced returns the index after the bracket that closes toks[i].
func skipBalanced(toks []token, i int) int {
	depth := 0
	for ; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tEOF {
			return i
		}
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{", "#[":
			depth++
		case ")", "]", "}":
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return i
}

func isOpTok(t token, s string) bool { return t.kind == tOp && t.text == s }

func isWordTok(t token, w string) bool {
	return t.kind == tName && strings.EqualFold(t.text, w)
}

// skipStmt returns the index after the statement at i, which may be a
// control structure with nested blocks, else branches or the
// alternative "if (…): … endif;" syntax.
func skipStmt(toks []token, i int) int {
	if i >= len(toks) || toks[i].kind == tEOF {
		return i
	}
	t := toks[i]
	if isOpTok(t, "{") {
		return skipBalanced(toks, i)
	}
	if t.kind != tName {
		return skipSimple(toks, i)
	}
	word := lowerASCII(t.text)
	switch word {
	case "if", "elseif", "while", "for", "foreach", "switch", "declare":
		j := i + 1
		if j < len(toks) && isOpTok(toks[j], "(") {
			j = skipBalanced(toks, j)
		}
		if j < len(toks) && isOpTok(toks[j], ":") {
			return skipAlt(toks, j+1)
		}
		j = skipStmt(toks, j)
		if (word == "if" || word == "elseif") && j < len(toks) && (isWordTok(toks[j], "elseif") || isWordTok(toks[j], "else")) {
			return skipStmt(toks, j)
		}
		return j
	case "else":
		return skipStmt(toks, i+1)
	case "do":
		j := skipStmt(toks, i+1)
		if j < len(toks) && isWordTok(toks[j], "while") {
			return skipSimple(toks, j)
		}
		return j
	case "try":
		j := skipStmt(toks, i+1)
		for j < len(toks) && isWordTok(toks[j], "catch") {
			j = skipBalanced(toks, j+1)
			j = skipStmt(toks, j)
		}
		if j < len(toks) && isWordTok(toks[j], "finally") {
			j = skipStmt(toks, j+1)
		}
		return j
	case "function", "class", "interface", "trait", "enum", "abstract", "final", "readonly", "namespace":
		// Up to the body's "{" (or a ";" for "namespace Foo;"), then the body.
		for j := i + 1; j < len(toks) && toks[j].kind != tEOF; j++ {
			switch {
			case isOpTok(toks[j], "("), isOpTok(toks[j], "["):
				j = skipBalanced(toks, j) - 1
			case isOpTok(toks[j], "{"):
				return skipBalanced(toks, j)
			case isOpTok(toks[j], ";"):
				return j + 1
			}
		}
		return len(toks) - 1
	}
	return skipSimple(toks, i)
}

// altOpeners start blocks in the alternative syntax when followed by ":".
var altOpeners = map[string]bool{"if": true, "while": true, "for": true, "foreach": true, "switch": true, "declare": true}

// skipAlt skips the body of "if (…):" up to its matching end keyword.
func skipAlt(toks []token, i int) int {
	depth := 1
	for ; i < len(toks) && toks[i].kind != tEOF; i++ {
		t := toks[i]
		if t.kind != tName {
			continue
		}
		w := lowerASCII(t.text)
		switch {
		case altOpeners[w] && i+1 < len(toks) && isOpTok(toks[i+1], "("):
			j := skipBalanced(toks, i+1)
			if j < len(toks) && isOpTok(toks[j], ":") {
				depth++
			}
		case strings.HasPrefix(w, "end") && altOpeners[w[3:]]:
			depth--
			if depth == 0 {
				return skipSimple(toks, i+1)
			}
		}
	}
	return i
}

type nameRef struct {
	name string
	line int
}

type assigned struct {
	props, locals, consts []nameRef
	cfgReset              int // line where $CFG itself is assigned or unset; -1 if not
	dynamic               int // line of an assignment to $CFG->{…}; -1 if none
}

// scanAssigned finds, in tokens that will not be evaluated, what they may
// assign: $CFG properties (by =, .=, ++, unset() or a by-reference
// function), $CFG itself, local variables and define()d constants.
func scanAssigned(toks []token) assigned {
	a := assigned{cfgReset: -1, dynamic: -1}
	modifyingUntil := -1 // inside unset(…) or a by-reference call up to this index
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func(k int) token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return token{kind: tEOF}
		}
		switch t.kind {
		case tName:
			w := lowerASCII(strings.TrimPrefix(t.text, `\`))
			switch {
			case (w == "unset" || byRefCalls[w]) && isOpTok(next(1), "("):
				if end := skipBalanced(toks, i+1); end > modifyingUntil {
					modifyingUntil = end
				}
			case w == "define" && isOpTok(next(1), "(") && next(2).kind == tStr:
				a.consts = append(a.consts, nameRef{next(2).text, t.line})
			case w == "const" && next(1).kind == tName:
				a.consts = append(a.consts, nameRef{next(1).text, t.line})
			}
		case tVar:
			modifying := i < modifyingUntil || (i > 0 && (isOpTok(toks[i-1], "++") || isOpTok(toks[i-1], "--")))
			j := i + 1
			prop := ""
			if t.text == "CFG" && isOpTok(next(1), "->") {
				if next(2).kind != tName {
					a.dynamic = t.line
					continue
				}
				prop = next(2).text
				j = i + 3
			}
			for j < len(toks) && isOpTok(toks[j], "[") {
				j = skipBalanced(toks, j)
			}
			if j < len(toks) && toks[j].kind == tOp && (assignOps[toks[j].text] || toks[j].text == "++" || toks[j].text == "--" || (prop != "" && toks[j].text == "->")) {
				modifying = true
			}
			switch {
			case !modifying:
			case prop != "":
				a.props = append(a.props, nameRef{prop, t.line})
			case t.text == "CFG":
				a.cfgReset = t.line
			default:
				a.locals = append(a.locals, nameRef{t.text, t.line})
			}
		}
	}
	return a
}
