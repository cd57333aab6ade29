package phpconfig

// Expression nodes. Each records the line it starts on, for messages.
type node interface{ lineNo() int }

type (
	litNode struct {
		line int
		v    Value
	}
	tmplNode struct {
		line  int
		parts []node
	}
	varNode struct {
		line int
		name string
	}
	propNode struct {
		line int
		obj  node
		name string
		dyn  node // ->{expr} or ->$var instead of a plain name
	}
	indexNode struct {
		line int
		base node
		key  node // nil for $a[]
	}
	constNode struct {
		line int
		name string
	}
	callNode struct {
		line int
		name string
		args []node
	}
	unaryNode struct {
		line int
		op   string
		x    node
	}
	castNode struct {
		line int
		typ  string
		x    node
	}
	binNode struct {
		line int
		op   string
		l, r node
	}
	ternNode struct {
		line            int
		cond, then, els node // then is nil for a ?: b
	}
	arrayNode struct {
		line int
		keys []node // nil entries: auto-increment
		vals []node
	}
	assignNode struct {
		line   int
		op     string // "=", ".=", "??=", "+=", …
		target node
		val    node
	}
	issetNode struct {
		line int
		args []node
	}
	emptyNode struct {
		line int
		x    node
	}
	silenceNode struct {
		line int
		x    node
	} // @expr
	newNode struct {
		line  int
		class string
	}
)

func (n *litNode) lineNo() int     { return n.line }
func (n *tmplNode) lineNo() int    { return n.line }
func (n *varNode) lineNo() int     { return n.line }
func (n *propNode) lineNo() int    { return n.line }
func (n *indexNode) lineNo() int   { return n.line }
func (n *constNode) lineNo() int   { return n.line }
func (n *callNode) lineNo() int    { return n.line }
func (n *unaryNode) lineNo() int   { return n.line }
func (n *castNode) lineNo() int    { return n.line }
func (n *binNode) lineNo() int     { return n.line }
func (n *ternNode) lineNo() int    { return n.line }
func (n *arrayNode) lineNo() int   { return n.line }
func (n *assignNode) lineNo() int  { return n.line }
func (n *issetNode) lineNo() int   { return n.line }
func (n *emptyNode) lineNo() int   { return n.line }
func (n *silenceNode) lineNo() int { return n.line }
func (n *newNode) lineNo() int     { return n.line }

// isPlace reports whether n can be assigned to: a variable, a property or
// an array element of one.
func isPlace(n node) bool {
	switch x := n.(type) {
	case *varNode:
		return true
	case *propNode:
		return isPlace(x.obj)
	case *indexNode:
		return isPlace(x.base)
	}
	return false
}

// walk calls f on n and every node below it.
func walk(n node, f func(node)) {
	if n == nil {
		return
	}
	f(n)
	switch x := n.(type) {
	case *tmplNode:
		for _, p := range x.parts {
			walk(p, f)
		}
	case *propNode:
		walk(x.obj, f)
		walk(x.dyn, f)
	case *indexNode:
		walk(x.base, f)
		walk(x.key, f)
	case *callNode:
		for _, a := range x.args {
			walk(a, f)
		}
	case *unaryNode:
		walk(x.x, f)
	case *castNode:
		walk(x.x, f)
	case *binNode:
		walk(x.l, f)
		walk(x.r, f)
	case *ternNode:
		walk(x.cond, f)
		walk(x.then, f)
		walk(x.els, f)
	case *arrayNode:
		for i := range x.vals {
			walk(x.keys[i], f)
			walk(x.vals[i], f)
		}
	case *assignNode:
		walk(x.target, f)
		walk(x.val, f)
	case *issetNode:
		for _, a := range x.args {
			walk(a, f)
		}
	case *emptyNode:
		walk(x.x, f)
	case *silenceNode:
		walk(x.x, f)
	}
}
