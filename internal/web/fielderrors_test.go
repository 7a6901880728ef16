package web

import (
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"steward/internal/i18n"
)

var updateFieldErrors = flag.Bool("update-field-errors", false, "add missing field error patterns to messages/fielderrors.en.json")

const fieldErrorsFile = "../i18n/messages/fielderrors.en.json"

// Every field error, conflict and refusal a service or page handler
// writes (v.Add(field, pattern, ...) on a *domainerr.Invalid,
// domainerr.Conflictf, domainerr.Refusedf) is in the English catalogue, so
// it can be translated like every other word a page shows. Run with
// -update-field-errors to add the missing ones.
func TestFieldErrorsAreInTheCatalogue(t *testing.T) {
	formats := fieldErrorFormats(t, "..")
	if len(formats) < 300 {
		t.Fatalf("found only %d field error patterns; the search is broken", len(formats))
	}
	en, err := i18n.IDs(i18n.Default)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for f := range formats {
		if _, ok := en["err."+f]; !ok {
			missing = append(missing, f)
		}
	}
	sort.Strings(missing)
	if len(missing) == 0 {
		return
	}
	if !*updateFieldErrors {
		for _, f := range missing {
			t.Errorf("%s: field error %q is not in the catalogue as \"err.%s\"", formats[f], f, f)
		}
		t.Fatalf("%d field errors missing; run go test ./internal/web -run TestFieldErrorsAreInTheCatalogue -update-field-errors", len(missing))
	}
	file := map[string]string{}
	if b, err := os.ReadFile(fieldErrorsFile); err == nil {
		if err := json.Unmarshal(b, &file); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range missing {
		file["err."+f] = fieldErrorEnglish(f)
	}
	b, err := json.MarshalIndent(file, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fieldErrorsFile, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("added %d field errors to %s", len(missing), fieldErrorsFile)
}

// The English catalogue says what the pages showed before: each pattern's
// sentence. Another language words an error with its values where its
// translation puts them.
func TestFieldErrorsReadInTheReadersLanguage(t *testing.T) {
	en, err := i18n.IDs(i18n.Default)
	if err != nil {
		t.Fatal(err)
	}
	for f := range fieldErrorFormats(t, "..") {
		if got, ok := en["err."+f]; ok && verbRE.MatchString(f) && got != fieldErrorEnglish(f) {
			t.Errorf("pattern %q reads %q in the English catalogue, want %q", f, got, fieldErrorEnglish(f))
		}
	}
	de := i18n.For("de")
	for msg, want := range map[string]string{
		"must be between 1 and 20": "Dieser Wert muss zwischen 1 und 20 liegen.",
		`"Printer" is not a role`:  "\"Printer\" ist keine Rolle.",
	} {
		if got := errText(de, msg); got != want {
			t.Errorf("German for %q reads %q, want %q", msg, got, want)
		}
	}
	if got, want := errText(i18n.For("en"), "must be between 1 and 20"), "This field must be between 1 and 20."; got != want {
		t.Errorf("English reads %q, want %q", got, want)
	}
}

// fieldErrorFormats finds the patterns of v.Add(field, pattern, ...)
// calls on a *domainerr.Invalid, and of domainerr.Field, Conflictf and
// Refusedf, in the Go files under root, with where.
func fieldErrorFormats(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.Contains(path, "domainerr") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			names := invalidNames(fn)
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) < 1 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				recv, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				var arg ast.Expr
				switch {
				case sel.Sel.Name == "Add" && names[recv.Name] && len(call.Args) >= 2:
					arg = call.Args[1] // v.Add(field, pattern, ...)
				case recv.Name == "domainerr" && (sel.Sel.Name == "Conflictf" || sel.Sel.Name == "Refusedf"):
					arg = call.Args[0] // domainerr.Conflictf(pattern, ...)
				case recv.Name == "domainerr" && sel.Sel.Name == "Field" && len(call.Args) >= 2:
					arg = call.Args[1] // domainerr.Field(field, pattern, ...)
				default:
					return true
				}
				lit, ok := arg.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				format, err := strconv.Unquote(lit.Value)
				if err != nil || format == "%s" || format == "%v" {
					return true
				}
				out[format] = fset.Position(lit.Pos()).String()
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// invalidNames are the names fn gives a *domainerr.Invalid: parameters of
// that type and variables set from domainerr.NewInvalid().
func invalidNames(fn *ast.FuncDecl) map[string]bool {
	names := map[string]bool{}
	isInvalid := func(e ast.Expr) bool {
		star, ok := e.(*ast.StarExpr)
		if !ok {
			return false
		}
		sel, ok := star.X.(*ast.SelectorExpr)
		return ok && sel.Sel.Name == "Invalid"
	}
	fields := func(l *ast.FieldList) {
		if l == nil {
			return
		}
		for _, f := range l.List {
			if isInvalid(f.Type) {
				for _, n := range f.Names {
					names[n.Name] = true
				}
			}
		}
	}
	fields(fn.Type.Params)
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			fields(n.Type.Params)
		case *ast.AssignStmt:
			for i, rhs := range n.Rhs {
				call, ok := rhs.(*ast.CallExpr)
				if !ok || i >= len(n.Lhs) {
					continue
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "NewInvalid" {
					if id, ok := n.Lhs[i].(*ast.Ident); ok {
						names[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			if n.Type != nil && isInvalid(n.Type) {
				for _, id := range n.Names {
					names[id.Name] = true
				}
			}
		}
		return true
	})
	return names
}
