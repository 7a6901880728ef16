package web

import (
	"testing"
	"text/template/parse"

	"steward/internal/auth"
)

// Every page's set holds every template the page, the layout and their
// partials call, so no page fails with "no such template" when shown.
func TestEveryPageHoldsTheTemplatesItCalls(t *testing.T) {
	vs := newViews(clockFor(auth.Preferences{}).funcs())
	if len(pageFiles()) < 100 {
		t.Fatalf("only %d pages found", len(pageFiles()))
	}
	for page := range pageFiles() {
		set, err := vs.page(page)
		if err != nil {
			t.Fatalf("page %s: %v", page, err)
		}
		defined := map[string]bool{}
		for _, tpl := range set.Templates() {
			defined[tpl.Name()] = true
		}
		for _, tpl := range set.Templates() {
			if tpl.Tree == nil {
				continue
			}
			walkCalls(tpl.Tree.Root, func(name string) {
				if !defined[name] {
					t.Errorf("page %s: %s calls template %q, which its set does not hold", page, tpl.Name(), name)
				}
			})
		}
	}
}

func walkCalls(n parse.Node, call func(string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkCalls(c, call)
		}
	case *parse.TemplateNode:
		call(n.Name)
	case *parse.IfNode:
		walkCalls(n.List, call)
		walkCalls(n.ElseList, call)
	case *parse.RangeNode:
		walkCalls(n.List, call)
		walkCalls(n.ElseList, call)
	case *parse.WithNode:
		walkCalls(n.List, call)
		walkCalls(n.ElseList, call)
	}
}

// A field's label on a page (a journal line, a form) is in the reader's
// language, including the fields an area adds to the shared list.
func TestFieldLabelsReadInTheReadersLanguage(t *testing.T) {
	label := func(lang, field string) string {
		return clockFor(auth.Preferences{Language: lang}).funcs()["fieldLabel"].(func(string) string)(field)
	}
	for _, c := range []struct{ lang, field, want string }{
		{"de", "group_id", "Gruppe"}, {"en", "group_id", "Group"},
		{"en", "fix_change", "Fixed by"}, {"en", "ip_address", "IP address"},
	} {
		if got := label(c.lang, c.field); got != c.want {
			t.Errorf("%s label of %s is %q, want %q", c.lang, c.field, got, c.want)
		}
	}
}
