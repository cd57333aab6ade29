package phpconfig

import (
	"fmt"
	"sort"
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

// checkBrackets verifies that (), [] and {} pair up across the file: a
// file where they do not is broken beyond recovery.
func checkBrackets(toks []token) error {
	type open struct {
		text string
		line int
	}
	var stack []open
	closer := map[string]string{"(": ")", "[": "]", "{": "}", "#[": "]"}
	for _, t := range toks {
		if t.kind != tOp {
			continue
		}
		switch t.text {
		case "(", "[", "{", "#[":
			stack = append(stack, open{t.text, t.line})
		case ")", "]", "}":
			if len(stack) == 0 {
				return &SyntaxError{Line: t.line, Msg: fmt.Sprintf("unbalanced brackets: %q with nothing open", t.text)}
			}
			top := stack[len(stack)-1]
			if closer[top.text] != t.text {
				return &SyntaxError{Line: t.line, Msg: fmt.Sprintf("unbalanced brackets: %q opened on line %d is closed by %q", top.text, top.line, t.text)}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		top := stack[len(stack)-1]
		return &SyntaxError{Line: top.line, Msg: fmt.Sprintf("unbalanced brackets: %q is never closed", top.text)}
	}
	return nil
}
