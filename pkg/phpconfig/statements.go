package phpconfig

import (
	"fmt"
	"strings"
)

// Include records a require/include statement. The reader does not follow
// it; Moodle's lib/setup.php needs no following, anything else may set
// $CFG values this reader cannot see (a warning says so).
type Include struct {
	Line int
	Kind string // require, require_once, include or include_once
	Path string // the evaluated path, "" when it could not be evaluated
	Note string // why Path is empty
}

// runner executes statements one by one on a state.
type runner struct {
	p       *parser
	s       *state
	stopped bool // after return/exit: PHP runs nothing further
}

// knownFuncs are the functions call() evaluates.
var knownFuncs = map[string]bool{
	"dirname": true, "getenv": true, "putenv": true, "define": true, "defined": true,
	"constant": true, "intval": true, "strval": true, "boolval": true, "floatval": true,
	"doubleval": true,
}

// controlWords start statements that are skipped whole, with the $CFG
// properties they assign made unresolved.
var controlWords = map[string]bool{
	"if": true, "elseif": true, "else": true, "while": true, "for": true, "foreach": true,
	"switch": true, "do": true, "try": true, "catch": true, "finally": true, "declare": true,
	"function": true, "class": true, "interface": true, "trait": true, "enum": true,
	"abstract": true, "final": true, "readonly": true, "namespace": true, "goto": true,
}

func (r *runner) run() {
	r.declareFunctions()
	for !r.stopped && r.p.peek().kind != tEOF {
		start := r.p.pos
		if r.p.isOp("}") { // cannot happen at top level once brackets balance
			r.p.advance()
			continue
		}
		r.statement()
		if r.p.pos == start {
			r.p.advance() // never loop on a token nothing consumed
		}
	}
}

func (r *runner) statement() {
	p, s := r.p, r.s
	t := p.peek()
	switch t.kind {
	case tClose:
		p.advance()
		return
	case tInline:
		p.advance()
		s.warnf(t.line, "%d bytes of text outside <?php ?>, which PHP sends as output (can break HTTP headers)", len(t.text))
		return
	case tOp:
		switch t.text {
		case ";":
			p.advance()
			return
		case "{":
			r.block()
			return
		}
	case tName:
		word := lowerASCII(t.text)
		switch {
		case controlWords[word] && !(word == "function" && isOpTok(p.peekN(1), "(")):
			// A closure statement (function () {…};) falls through instead.
			r.skipControl(word)
			return
		case word == "unset" && p.peekN(1).kind == tOp && p.peekN(1).text == "(":
			r.unsetStmt()
			return
		case word == "global":
			r.skipSilently()
			return
		case word == "echo" || word == "print" || word == "static" || word == "use":
			r.skipWithWarning(p.pos, fmt.Errorf("line %d: %s statement ignored", t.line, word))
			return
		case word == "return" || word == "exit" || word == "die":
			s.warnf(t.line, "%s ends the script here; PHP runs none of the statements after it", word)
			r.stopped = true
			return
		case word == "require" || word == "require_once" || word == "include" || word == "include_once":
			r.include(word)
			return
		case word == "const":
			r.constStmt()
			return
		}
	}
	r.exprStatement()
}

// block runs a bare { … } block, which PHP executes unconditionally.
func (r *runner) block() {
	r.p.advance()
	for !r.stopped && r.p.peek().kind != tEOF && !r.p.isOp("}") {
		start := r.p.pos
		r.statement()
		if r.p.pos == start {
			r.p.advance()
		}
	}
	if r.p.isOp("}") {
		r.p.advance()
	}
}

// endStatement consumes the ";" (or "?>") that ends a statement.
func (r *runner) endStatement() error {
	t := r.p.peek()
	switch {
	case t.kind == tOp && t.text == ";", t.kind == tClose:
		r.p.advance()
		return nil
	case t.kind == tEOF:
		return nil
	}
	return r.p.errAt(t, "expected ; but found %s", t)
}

func (r *runner) exprStatement() {
	start := r.p.pos
	n, err := r.p.parseExpr()
	if err == nil {
		err = r.endStatement()
	}
	if err != nil {
		r.skipWithWarning(start, err)
		return
	}
	r.exec(n)
}

// exec evaluates an expression statement for its effects.
func (r *runner) exec(n node) {
	s := r.s
	inner := n
	for {
		sn, ok := inner.(*silenceNode)
		if !ok {
			break
		}
		inner = sn.x
	}
	r.markUserCalls(n)
	if c, ok := inner.(*callNode); ok {
		name := lowerASCII(strings.TrimPrefix(c.name, `\`))
		if ignoredCalls[name] {
			return
		}
		if !knownFuncs[name] {
			reason := fmt.Sprintf("line %d: passed to %s(), which is not evaluated and may modify it", c.line, c.name)
			if _, declared := s.userFuncs[name]; !declared {
				s.warnf(c.line, "call to %s() skipped (not evaluated)", c.name)
			}
			if byRefCalls[name] {
				for _, a := range c.args {
					r.unresolvePlace(a, reason)
				}
			}
			s.markTargets(n, reason)
			return
		}
	}
	if _, err := s.eval(n, false); err != nil {
		assigns := false
		walk(n, func(m node) {
			switch x := m.(type) {
			case *assignNode:
				assigns = true
			case *callNode:
				if lowerASCII(strings.TrimPrefix(x.name, `\`)) == "define" && len(x.args) > 0 {
					if lit, ok := x.args[0].(*litNode); ok {
						if c, ok := lit.v.(string); ok && !r.s.definedConst(c) {
							assigns = true
							s.constUnres[c] = err.Error()
						}
					}
				}
			}
		})
		if assigns {
			s.markTargets(n, err.Error())
		} else {
			s.warnf(n.lineNo(), "statement not evaluated: %v", err)
		}
	}
}

// unresolvePlace makes the variable or property behind a place unresolved.
func (r *runner) unresolvePlace(n node, reason string) {
	if !isPlace(n) {
		return
	}
	t, err := r.s.resolveTarget(n)
	if err != nil {
		return
	}
	if t.isProp {
		r.s.unresolve(t.name, reason)
	} else {
		r.s.unresolveLocal(t.name, reason)
	}
}

func (r *runner) unsetStmt() {
	start := r.p.pos
	r.p.advance()
	args, err := r.p.parseArgs()
	if err == nil {
		err = r.endStatement()
	}
	if err != nil {
		r.skipWithWarning(start, err)
		return
	}
	for _, a := range args {
		if !isPlace(a) {
			r.s.warnf(a.lineNo(), "unset() of something that is not a variable ignored")
			continue
		}
		if err := r.s.unset(a); err != nil {
			r.s.warnf(a.lineNo(), "unset() not evaluated: %v", err)
			r.unresolvePlace(a, err.Error())
		}
	}
}

func (r *runner) include(kind string) {
	start := r.p.pos
	kw := r.p.advance()
	n, err := r.p.parseExpr()
	if err == nil {
		err = r.endStatement()
	}
	if err != nil {
		r.skipWithWarning(start, err)
		return
	}
	inc := Include{Line: kw.line, Kind: kind}
	v, err := r.s.eval(n, false)
	if err != nil {
		inc.Note = err.Error()
	} else {
		inc.Path = ToString(v)
	}
	r.s.includes = append(r.s.includes, inc)
	if !strings.HasSuffix(inc.Path, "/lib/setup.php") {
		what := inc.Path
		if what == "" {
			what = "a file whose path could not be evaluated"
		}
		r.s.warnf(kw.line, "%s of %s is not followed; $CFG values it sets are not seen", kind, what)
	}
}

// constStmt handles "const NAME = expr, OTHER = expr;".
func (r *runner) constStmt() {
	start := r.p.pos
	r.p.advance()
	type item struct {
		name string
		expr node
	}
	var items []item
	for {
		nameTok := r.p.advance()
		if nameTok.kind != tName {
			r.skipWithWarning(start, r.p.errAt(nameTok, "expected a constant name"))
			return
		}
		if err := r.p.expectOp("="); err != nil {
			r.skipWithWarning(start, err)
			return
		}
		x, err := r.p.parseExpr()
		if err != nil {
			r.skipWithWarning(start, err)
			return
		}
		items = append(items, item{nameTok.text, x})
		if !r.p.isOp(",") {
			break
		}
		r.p.advance()
	}
	if err := r.endStatement(); err != nil {
		r.skipWithWarning(start, err)
		return
	}
	for _, it := range items {
		if r.s.definedConst(it.name) {
			r.s.warnf(it.expr.lineNo(), "constant %s already defined; the first value is kept", it.name)
			continue
		}
		v, err := r.s.eval(it.expr, false)
		if err != nil {
			r.s.constUnres[it.name] = err.Error()
			continue
		}
		r.s.consts[it.name] = v
		delete(r.s.constUnres, it.name)
	}
}

// skipSilently skips a statement with no effect on $CFG (global $CFG;).
func (r *runner) skipSilently() {
	r.p.pos = skipSimple(r.p.toks, r.p.pos)
}

// skipWithWarning skips the statement starting at start after a parse
// error; whatever it assigns becomes unresolved.
func (r *runner) skipWithWarning(start int, err error) {
	end := skipSimple(r.p.toks, start)
	if end <= r.p.pos && r.p.pos > start {
		end = skipSimple(r.p.toks, r.p.pos)
	}
	r.p.pos = end
	line := r.p.toks[start].line
	msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("line %d: ", line))
	r.s.warnf(line, "statement skipped: %s", msg)
	reason := fmt.Sprintf("line %d: statement not understood (%s)", line, msg)
	r.markSkipped(r.p.toks[start:end], func(int) string { return reason })
}

// skipControl skips a control structure (if/else chain, loop, function,
// class…) and makes everything it might assign unresolved.
func (r *runner) skipControl(word string) {
	start := r.p.pos
	end := skipStmt(r.p.toks, start)
	r.p.pos = end
	first := r.p.toks[start].line
	last := r.p.toks[end-1].line
	what := word + " block"
	switch word {
	case "function":
		// A declaration runs nothing; calls to it are handled by markUserCalls.
		if nameTok := r.p.toks[start+1]; nameTok.kind == tName {
			r.s.warnf(first, "function %s() declared (lines %d-%d); calls to it are not evaluated", nameTok.text, first, last)
			return
		}
	case "class", "interface", "trait", "enum", "abstract", "final", "readonly":
		what = "class declaration"
	}
	names := r.markSkipped(r.p.toks[start:end], func(line int) string {
		return fmt.Sprintf("line %d: assigned inside the %s at line %d, which the reader does not evaluate", line, what, first)
	})
	msg := fmt.Sprintf("%s (lines %d-%d) skipped: control structures are not evaluated", what, first, last)
	if len(names) > 0 {
		msg += "; unresolved because assigned inside: " + strings.Join(names, ", ")
	}
	r.s.warnf(first, "%s", msg)
}
