package record_test

import (
	"strings"
	"testing"

	"steward/internal/record"
)

func TestMachineValidate(t *testing.T) {
	ok := record.Machine{States: []string{"open", "done"}, Open: []string{"open"},
		Moves: []record.Move{{From: "open", Action: "finish", To: "done"}, {From: "done", Action: "reopen", To: "open"}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a sound machine: %v", err)
	}
	for _, c := range []struct {
		name string
		m    record.Machine
		want string
	}{
		{"no states", record.Machine{}, "at least one state"},
		{"undeclared state", record.Machine{States: []string{"open"}, Moves: []record.Move{{From: "open", Action: "x", To: "gone"}}}, "undeclared"},
		{"unreached state", record.Machine{States: []string{"open", "done"}}, `"done" is never reached`},
		{"two moves to one place", record.Machine{States: []string{"open", "done"},
			Moves: []record.Move{{From: "open", Action: "a", To: "done"}, {From: "open", Action: "b", To: "done"}}}, "share"},
		{"one action twice", record.Machine{States: []string{"open", "done", "lost"},
			Moves: []record.Move{{From: "open", Action: "a", To: "done"}, {From: "open", Action: "a", To: "lost"}}}, "share"},
		{"open state unknown", record.Machine{States: []string{"open"}, Open: []string{"pending"}}, "not a state"},
	} {
		err := c.m.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	sys := record.Machine{States: []string{"open", "waiting", "done"},
		Moves: []record.Move{{From: "open", Action: "wait", To: "waiting", By: "system"}, {From: "open", Action: "finish", To: "done"}}}
	if sys.Can("open", "waiting") || !sys.Can("open", "done") || sys.Allowed("open") != "done" || !sys.Final("done") || sys.Final("open") {
		t.Fatalf("system moves are not for people: can=%v next=%q", sys.Can("open", "waiting"), sys.Allowed("open"))
	}
}
