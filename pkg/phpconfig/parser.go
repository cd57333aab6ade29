package phpconfig

import (
	"fmt"
	"strings"
)

// parser is a recursive-descent parser for PHP expressions over a token
// slice. Statements are handled in statements.go.
type parser struct {
	toks []token
	pos  int
}

// parseError is a construct the parser does not understand. It is
// reported as a warning and the statement is skipped; it is not fatal.
type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) peekN(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) advance() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == s
}

// isWord reports whether the next token is the keyword w (any case).
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tName && strings.EqualFold(t.text, w)
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &parseError{line: t.line, msg: fmt.Sprintf(format, args...)}
}

func (p *parser) expectOp(s string) error {
	if !p.isOp(s) {
		return p.errAt(p.peek(), "expected %q, found %s", s, p.peek())
	}
	p.advance()
	return nil
}

// parseExpr parses a full expression, including assignments and the
// low-precedence "and", "or" and "xor".
func (p *parser) parseExpr() (node, error) {
	return p.parseLowLogic(0)
}

var lowLogic = []string{"or", "xor", "and"}

func (p *parser) parseLowLogic(level int) (node, error) {
	if level == len(lowLogic) {
		return p.parseAssign()
	}
	l, err := p.parseLowLogic(level + 1)
	if err != nil {
		return nil, err
	}
	for p.isWord(lowLogic[level]) {
		t := p.advance()
		r, err := p.parseLowLogic(level + 1)
		if err != nil {
			return nil, err
		}
		l = &binNode{line: t.line, op: lowLogic[level], l: l, r: r}
	}
	return l, nil
}

var assignOps = map[string]bool{
	"=": true, ".=": true, "+=": true, "-=": true, "*=": true, "/=": true, "%=": true,
	"**=": true, "??=": true, "|=": true, "&=": true, "^=": true, "<<=": true, ">>=": true,
}

func (p *parser) parseAssign() (node, error) {
	lhs, err := p.parseTernary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind != tOp || !assignOps[t.text] {
		return lhs, nil
	}
	if !isPlace(lhs) {
		return nil, p.errAt(t, "cannot assign to this expression")
	}
	p.advance()
	if t.text == "=" && p.isOp("&") {
		return nil, p.errAt(t, "assignment by reference is not supported")
	}
	rhs, err := p.parseAssign()
	if err != nil {
		return nil, err
	}
	return &assignNode{line: t.line, op: t.text, target: lhs, val: rhs}, nil
}

const coalescePrec = 1

// binaryPrec gives PHP 8's precedence of binary operators (higher binds
// tighter) and whether they associate to the right.
func binaryPrec(t token) (int, bool) {
	if t.kind != tOp {
		return -1, false
	}
	switch t.text {
	case "??":
		return coalescePrec, true
	case "||":
		return 2, false
	case "&&":
		return 3, false
	case "|":
		return 4, false
	case "^":
		return 5, false
	case "&":
		return 6, false
	case "==", "!=", "===", "!==", "<>", "<=>":
		return 7, false
	case "<", "<=", ">", ">=":
		return 8, false
	case ".":
		return 9, false
	case "<<", ">>":
		return 10, false
	case "+", "-":
		return 11, false
	case "*", "/", "%":
		return 12, false
	}
	return -1, false
}

func (p *parser) parseTernary() (node, error) {
	cond, err := p.parseBinary(coalescePrec)
	if err != nil {
		return nil, err
	}
	for p.isOp("?") {
		t := p.advance()
		var then node
		if !p.isOp(":") {
			if then, err = p.parseAssign(); err != nil {
				return nil, err
			}
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		els, err := p.parseBinary(coalescePrec)
		if err != nil {
			return nil, err
		}
		cond = &ternNode{line: t.line, cond: cond, then: then, els: els}
	}
	return cond, nil
}

func (p *parser) parseBinary(minPrec int) (node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		prec, right := binaryPrec(t)
		if prec < minPrec {
			return l, nil
		}
		p.advance()
		next := prec + 1
		if right {
			next = prec
		}
		r, err := p.parseBinary(next)
		if err != nil {
			return nil, err
		}
		l = &binNode{line: t.line, op: t.text, l: l, r: r}
	}
}

func (p *parser) parseUnary() (node, error) {
	t := p.peek()
	switch {
	case t.kind == tOp && (t.text == "!" || t.text == "-" || t.text == "+" || t.text == "~"):
		p.advance()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &unaryNode{line: t.line, op: t.text, x: x}, nil
	case t.kind == tOp && t.text == "@":
		p.advance()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &silenceNode{line: t.line, x: x}, nil
	case t.kind == tCast:
		p.advance()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &castNode{line: t.line, typ: t.text, x: x}, nil
	case t.kind == tOp && (t.text == "++" || t.text == "--"):
		return nil, p.errAt(t, "increment and decrement are not supported")
	case t.kind == tOp && t.text == "&":
		return nil, p.errAt(t, "references are not supported")
	}
	base, err := p.parsePostfix()
	if err != nil {
		return nil, err
	}
	if p.isOp("**") {
		op := p.advance()
		exp, err := p.parseUnary() // right-associative, and 2 ** -1 is valid
		if err != nil {
			return nil, err
		}
		return &binNode{line: op.line, op: "**", l: base, r: exp}, nil
	}
	return base, nil
}

func (p *parser) parsePostfix() (node, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tOp && t.text == "[":
			p.advance()
			if p.isOp("]") {
				p.advance()
				x = &indexNode{line: t.line, base: x}
				continue
			}
			key, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
			x = &indexNode{line: t.line, base: x, key: key}
		case t.kind == tOp && (t.text == "->" || t.text == "?->"):
			p.advance()
			n := p.advance()
			prop := &propNode{line: t.line, obj: x}
			switch {
			case n.kind == tName:
				prop.name = n.text
			case n.kind == tVar:
				prop.dyn = &varNode{line: n.line, name: n.text}
			case n.kind == tOp && n.text == "{":
				if prop.dyn, err = p.parseExpr(); err != nil {
					return nil, err
				}
				if err := p.expectOp("}"); err != nil {
					return nil, err
				}
			default:
				return nil, p.errAt(n, "expected a property name after ->")
			}
			if p.isOp("(") {
				return nil, p.errAt(t, "method calls are not supported")
			}
			x = prop
		case t.kind == tOp && t.text == "::":
			return nil, p.errAt(t, "class constants and static members are not supported")
		case t.kind == tOp && (t.text == "++" || t.text == "--"):
			return nil, p.errAt(t, "increment and decrement are not supported")
		case t.kind == tOp && t.text == "(":
			return nil, p.errAt(t, "calling an expression is not supported")
		default:
			return x, nil
		}
	}
}

// unsupportedWords are keywords that start expressions this reader does
// not evaluate; naming them gives a clearer message than "unexpected".
var unsupportedWords = map[string]string{
	"function": "closures", "fn": "arrow functions", "static": "static closures",
	"match": "match expressions", "list": "list() destructuring", "clone": "objects",
	"include": "include as an expression", "include_once": "include as an expression",
	"require": "require as an expression", "require_once": "require as an expression",
	"print": "print", "yield": "generators", "throw": "throw", "exit": "exit",
	"die": "die", "instanceof": "instanceof",
}

func (p *parser) parsePrimary() (node, error) {
	t := p.advance()
	switch t.kind {
	case tVar:
		return &varNode{line: t.line, name: t.text}, nil
	case tInt, tFloat:
		return &litNode{line: t.line, v: t.val}, nil
	case tStr:
		return &litNode{line: t.line, v: t.text}, nil
	case tTemplate:
		return p.parseTemplate(t)
	case tBacktick:
		return nil, p.errAt(t, "shell commands (backticks) are not supported")
	case tName:
		return p.parseName(t)
	case tOp:
		switch t.text {
		case "(":
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			return x, p.expectOp(")")
		case "[":
			return p.parseArray(t, "]")
		}
	}
	return nil, p.errAt(t, "unexpected %s", t)
}

// parseTemplate parses the expressions embedded in an interpolated string.
func (p *parser) parseTemplate(t token) (node, error) {
	n := &tmplNode{line: t.line}
	for _, part := range t.parts {
		if part.expr == nil {
			n.parts = append(n.parts, &litNode{line: part.line, v: part.lit})
			continue
		}
		if part.expr[0].kind == tOp && part.expr[0].text == "${" {
			return nil, p.errAt(part.expr[0], "variable variables in strings are not supported")
		}
		sub := &parser{toks: append(append([]token(nil), part.expr...), token{kind: tEOF, line: part.line})}
		x, err := sub.parseExpr()
		if err != nil {
			return nil, err
		}
		if sub.peek().kind != tEOF {
			return nil, sub.errAt(sub.peek(), "unexpected %s in string interpolation", sub.peek())
		}
		n.parts = append(n.parts, x)
	}
	return n, nil
}

func (p *parser) parseName(t token) (node, error) {
	lower := strings.ToLower(t.text)
	switch lower {
	case "true":
		return &litNode{line: t.line, v: true}, nil
	case "false":
		return &litNode{line: t.line, v: false}, nil
	case "null":
		return &litNode{line: t.line, v: nil}, nil
	case "array":
		if p.isOp("(") {
			open := p.advance()
			return p.parseArray(open, ")")
		}
	case "new":
		cls := p.advance()
		if cls.kind != tName {
			return nil, p.errAt(cls, "expected a class name after new")
		}
		if p.isOp("(") {
			p.advance()
			if err := p.expectOp(")"); err != nil {
				return nil, p.errAt(cls, "constructor arguments are not supported")
			}
		}
		return &newNode{line: t.line, class: cls.text}, nil
	case "isset", "empty":
		args, err := p.parseArgs()
		if err != nil {
			return nil, err
		}
		for _, a := range args {
			if !isPlace(a) {
				return nil, p.errAt(t, "%s() needs a variable", lower)
			}
		}
		if lower == "empty" {
			if len(args) != 1 {
				return nil, p.errAt(t, "empty() takes one argument")
			}
			return &emptyNode{line: t.line, x: args[0]}, nil
		}
		return &issetNode{line: t.line, args: args}, nil
	}
	if what, ok := unsupportedWords[lower]; ok {
		return nil, p.errAt(t, "%s not supported", what)
	}
	if p.isOp("(") {
		args, err := p.parseArgs()
		if err != nil {
			return nil, err
		}
		return &callNode{line: t.line, name: t.text, args: args}, nil
	}
	if p.isOp("::") {
		return nil, p.errAt(t, "class constants and static members are not supported")
	}
	return &constNode{line: t.line, name: t.text}, nil
}

// parseArgs parses "(a, b, )" after a function name.
func (p *parser) parseArgs() ([]node, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	var args []node
	for !p.isOp(")") {
		if p.isOp("...") {
			return nil, p.errAt(p.peek(), "argument unpacking is not supported")
		}
		if p.peek().kind == tName && p.peekN(1).kind == tOp && p.peekN(1).text == ":" && !(p.peekN(2).kind == tOp && p.peekN(2).text == ":") {
			return nil, p.errAt(p.peek(), "named arguments are not supported")
		}
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	return args, p.expectOp(")")
}

// parseArray parses the items of array(…) or […] up to close.
func (p *parser) parseArray(open token, close string) (node, error) {
	n := &arrayNode{line: open.line}
	for !p.isOp(close) {
		if p.isOp(",") {
			return nil, p.errAt(p.peek(), "empty array element")
		}
		if p.isOp("...") {
			return nil, p.errAt(p.peek(), "array unpacking is not supported")
		}
		if p.isOp("&") {
			return nil, p.errAt(p.peek(), "references are not supported")
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		var k node
		if p.isOp("=>") {
			p.advance()
			if p.isOp("&") {
				return nil, p.errAt(p.peek(), "references are not supported")
			}
			k = v
			if v, err = p.parseExpr(); err != nil {
				return nil, err
			}
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
		if !p.isOp(",") {
			break
		}
		p.advance()
	}
	return n, p.expectOp(close)
}
