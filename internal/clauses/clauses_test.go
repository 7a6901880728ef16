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
