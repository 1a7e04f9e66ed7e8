package testbin

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The ways of guessing a free port that made tests fail by chance: a random number, a connect
// to see whether something answers, a helper that finds a port for someone else to bind later,
// and a listener opened only to read its port and closed again. Every one leaves a gap in which
// another process takes the port. The cure is port 0 and reading back what was bound
// (listen_port in scripts/lib.sh, StartServer and --web.listen-address-file here).
var (
	// In shell: bash's $RANDOM, and connect probes with /dev/tcp or nc -z.
	shellRules = []guessRule{
		{regexp.MustCompile(`\bRANDOM\b`), "bash's RANDOM: pick no port by chance, start the process on port 0 and read the port back (listen_port)"},
		{regexp.MustCompile(`/dev/(tcp|udp)/`), "a connect probe: a port nobody answers on now can be taken before it is bound"},
		{regexp.MustCompile(`\b(nc|ncat|netcat)\b[^#|;&]*\s-[A-Za-z]*z`), "a connect probe (nc -z): a port nobody answers on now can be taken before it is bound"},
	}
	// In any source file: the helpers that did it.
	helperRule = guessRule{regexp.MustCompile(`(?i)\bfree_?(port|addr)s?\b`), "a free-port helper: bind port 0 and read the port back instead"}
)

// shebang matches a first line that runs a shell script.
var shebang = regexp.MustCompile(`^#![^\n]*\b(ba|da|z)?sh\b`)

type guessRule struct {
	re  *regexp.Regexp
	why string
}

// TestNoPortGuessing fails if a way of guessing a free port comes back anywhere in the
// repository's scripts, makefiles and Go code.
func TestNoPortGuessing(t *testing.T) {
	root := ModuleRoot(t)
	self, err := filepath.Abs("noguess_test.go")
	if err != nil {
		t.Fatal(err)
	}
	scanned := map[string]int{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch {
			case path == root:
			case strings.HasPrefix(d.Name(), "."), d.Name() == "testdata", d.Name() == "vendor",
				rel == "bin", rel == "dist":
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || path == self {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		kind := sourceKind(d.Name(), b)
		if kind == "" {
			return nil
		}
		scanned[kind]++
		for _, f := range findGuesses(rel, kind, b) {
			t.Errorf("%s", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk must have seen the files it guards, or it proves nothing.
	if scanned["go"] < 50 || scanned["shell"] < 8 {
		t.Fatalf("scanned only %v files: is the module root right?", scanned)
	}
}

// sourceKind is "go", "shell" (scripts, makefiles, Dockerfiles) or "" for files not checked.
func sourceKind(name string, content []byte) string {
	switch {
	case strings.HasSuffix(name, ".go"):
		return "go"
	case strings.HasSuffix(name, ".sh"), strings.HasSuffix(name, ".mk"), name == "Makefile",
		strings.HasPrefix(name, "Dockerfile"), shebang.Match(content):
		return "shell"
	}
	return ""
}

// findGuesses returns one message per guess found in a file's content.
func findGuesses(name, kind string, content []byte) []string {
	var out []string
	s := bufio.NewScanner(strings.NewReader(string(content)))
	s.Buffer(nil, 1<<20)
	for n := 1; s.Scan(); n++ {
		line := s.Text()
		rules := []guessRule{helperRule}
		if kind == "shell" {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue // a comment may name what not to do
			}
			rules = append(rules, shellRules...)
		}
		for _, r := range rules {
			if m := r.re.FindString(line); m != "" {
				out = append(out, name+":"+strconv.Itoa(n)+": "+m+": "+r.why)
			}
		}
	}
	if kind == "go" {
		out = append(out, probeListeners(name, content)...)
	}
	return out
}

// probeListeners finds listeners (net.Listen, net.ListenTCP) that their function only asks for
// the address and closes: the port is free only until the Close. A listener that is served,
// passed on, stored or returned is fine. Uses are matched by name within the enclosing function,
// so a shadowed name can hide a probe but never invents one.
func probeListeners(name string, content []byte) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, content, parser.SkipObjectResolution)
	if err != nil {
		return []string{name + ": " + err.Error()}
	}
	netName := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"net"` {
			netName = "net"
			if imp.Name != nil {
				netName = imp.Name.Name
			}
		}
	}
	if netName == "" {
		return nil
	}
	var out []string
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		as, ok := n.(*ast.AssignStmt)
		if !ok || len(as.Rhs) != 1 {
			return true
		}
		call, ok := as.Rhs[0].(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Listen" && sel.Sel.Name != "ListenTCP") {
			return true
		}
		if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != netName {
			return true
		}
		ln, ok := as.Lhs[0].(*ast.Ident)
		if !ok || ln.Name == "_" {
			return true
		}
		var body ast.Node
		for i := len(stack) - 1; i >= 0 && body == nil; i-- {
			switch fn := stack[i].(type) {
			case *ast.FuncDecl:
				body = fn.Body
			case *ast.FuncLit:
				body = fn.Body
			}
		}
		if body != nil && onlyAddrAndClose(body, ln.Name) {
			out = append(out, fset.Position(as.Pos()).String()+": "+ln.Name+" is only asked for its address and closed: "+
				"whoever binds that port later guesses it is still free; hand the listener over or let the process bind port 0 and report it")
		}
		return true
	})
	return out
}

// onlyAddrAndClose reports whether every use of name in body is name.Addr() or name.Close()
// (or an assignment to it), with at least one Addr.
func onlyAddrAndClose(body ast.Node, name string) bool {
	sawAddr, other := false, false
	var parents []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			parents = parents[:len(parents)-1]
			return true
		}
		if id, ok := n.(*ast.Ident); ok && id.Name == name && len(parents) > 0 {
			switch p := parents[len(parents)-1].(type) {
			case *ast.SelectorExpr:
				switch {
				case p.Sel == id: // a field or method of something else that has this name
				case p.Sel.Name == "Addr":
					sawAddr = true
				case p.Sel.Name != "Close":
					other = true
				}
			case *ast.AssignStmt:
				isLHS := false
				for _, l := range p.Lhs {
					isLHS = isLHS || l == id
				}
				other = other || !isLHS
			default:
				other = true
			}
		}
		parents = append(parents, n)
		return true
	})
	return sawAddr && !other
}

// TestNoPortGuessingRules: each rule catches what it is for and leaves alone what is right.
func TestNoPortGuessingRules(t *testing.T) {
	const probeGo = `package x

import "net"

func freeish() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
`
	const servedGo = `package x

import (
	"net"
	"net/http"
)

func serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, h)
	return ln.Addr().String()
}

func passedOn() net.Listener {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	_ = l.Addr()
	return l
}
`
	const aliasedProbeGo = `package x

import stdnet "net"

func f() string {
	var addr string
	func() {
		l, _ := stdnet.ListenTCP("tcp", nil)
		addr = l.Addr().String()
		l.Close()
	}()
	return addr
}
`
	for _, tt := range []struct {
		name, kind, content string
		want                int
	}{
		{"bash RANDOM", "shell", `p=$((20000 + RANDOM % 20000))`, 1},
		{"bash $RANDOM", "shell", `port=$RANDOM`, 1},
		{"dev tcp probe", "shell", `if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; fi`, 1},
		{"nc -z probe", "shell", `nc -z 127.0.0.1 "$p" || echo free`, 1},
		{"nc -vz probe", "shell", `until ! nc -vz localhost 9090; do :; done`, 1},
		{"free_port helper", "shell", `sim="127.0.0.1:$(free_port)"`, 1},
		{"FreeAddr helper", "go", "package x\n\nvar a = testbin.FreeAddr(t)\n", 1},
		{"freeAddr helper", "go", "package x\n\nfunc freeAddr() string { return \"\" }\n", 1},
		{"listen, read the port, close", "go", probeGo, 1},
		{"aliased net, ListenTCP, closure", "go", aliasedProbeGo, 1},
		{"comment in shell", "shell", "# never use RANDOM or /dev/tcp/ here", 0},
		{"port 0 and read back", "shell", `start x --web.listen-address=127.0.0.1:0; port=$(listen_port "$!")`, 0},
		{"nc without -z", "shell", `nc -l 127.0.0.1 0`, 0},
		{"words in Go", "go", "package x\n\n// a free port, a random port, SRANDOM\nvar freedom = \"free ports\"\n", 0},
		{"listener served or returned", "go", servedGo, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := findGuesses("x", tt.kind, []byte(tt.content))
			if len(got) != tt.want {
				t.Errorf("found %d guesses, want %d: %q", len(got), tt.want, got)
			}
		})
	}
	if got := sourceKind("run", []byte("#!/usr/bin/env bash\necho\n")); got != "shell" {
		t.Errorf("a bash script without .sh is %q, want shell", got)
	}
}
