package clauses

import "testing"

// Every clause of ISO/IEC 20000-1 that an auditor walks through is in the
// catalogue, and the outline is a tree.
func TestISO20000Outline(t *testing.T) {
	s, ok := Get(Primary)
	if !ok {
		t.Fatal("the primary standard is missing")
	}
	for _, n := range []string{"4.1", "4.4", "5.3", "6.2", "7.6", "8.1", "8.2.6", "8.3.4", "8.5.3", "8.6.3", "8.7.3", "9.4", "10.2"} {
		if _, ok := s.Clause(n); !ok {
			t.Errorf("clause %s is missing", n)
		}
	}
	if got := len(s.Children("8.6")); got != 3 {
		t.Errorf("8.6 has %d subclauses, want 3", got)
	}
	for _, c := range s.Leaves() {
		if c.Number == "8" || c.Number == "8.6" {
			t.Errorf("%s has subclauses but is listed as a leaf", c.Number)
		}
	}
	if !Less("8.2", "8.10") || Less("9", "8.7.3") {
		t.Error("clause numbers are not ordered part by part")
	}
}

// The other standards' outlines are there with clauses 4 to 10, and every
// clause the mapping names exists in both outlines; every leaf of each
// mapped standard draws on some evidence.
func TestMapping(t *testing.T) {
	m := Mappings()
	if m.Source != Primary {
		t.Fatalf("mapping from %q", m.Source)
	}
	src, _ := Get(Primary)
	for _, id := range []string{"iso9001", "iso27001", "iso22301"} {
		std, ok := Get(id)
		if !ok {
			t.Fatalf("standard %s is missing", id)
		}
		for _, top := range []string{"4", "5", "6", "7", "8", "9", "10"} {
			if len(std.Children(top)) == 0 {
				t.Errorf("%s clause %s has no subclauses", id, top)
			}
		}
		from, ok := MappedFrom(id)
		if !ok {
			t.Fatalf("%s is not mapped", id)
		}
		for to, fs := range from {
			if _, ok := std.Clause(to); !ok {
				t.Errorf("%s has no clause %s", id, to)
			}
			for _, f := range fs {
				if _, ok := src.Clause(f); !ok {
					t.Errorf("%s %s maps from %s, not in %s", id, to, f, Primary)
				}
			}
		}
		for _, c := range std.Leaves() {
			if len(from[c.Number]) == 0 {
				t.Errorf("%s %s %s draws on no evidence", id, c.Number, c.Title)
			}
		}
	}
	// The clauses that differ: nonconformity and improvement.
	for _, c := range []struct{ std, to, from string }{
		{"iso9001", "10.2", "10.1"}, {"iso9001", "10.3", "10.2"},
		{"iso27001", "10.2", "10.1"}, {"iso27001", "10.1", "10.2"},
		{"iso22301", "10.1", "10.1"}, {"iso22301", "10.2", "10.2"},
	} {
		from, _ := MappedFrom(c.std)
		if len(from[c.to]) != 1 || from[c.to][0] != c.from {
			t.Errorf("%s %s maps from %v, want %s", c.std, c.to, from[c.to], c.from)
		}
	}
	if _, ok := MappedFrom(Primary); ok {
		t.Error("the primary standard maps onto itself")
	}
}
