package record

import (
	"fmt"
	"slices"
	"strings"
)

// Move is one row of a kind's state machine: in state From, action Action
// leads to state To and needs the fields in Requires. A move the system
// makes by itself (an approval deciding, a job closing) is By "system";
// people make the others.
type Move struct {
	From, Action, To string
	Requires         []string
	By               string // "" for people, "system" for the system only
}

// Machine is a kind's life as a table. The first state is where a record
// starts; Open lists the states in which work is still owed.
type Machine struct {
	States []string
	Open   []string
	Moves  []Move
}

// Validate checks the table itself: every state named is declared, every
// state but the first is reached by some move, and no state has two moves
// to the same place or two actions of the same name.
func (m Machine) Validate() error {
	if len(m.States) == 0 {
		return fmt.Errorf("a machine needs at least one state")
	}
	reached := map[string]bool{m.States[0]: true}
	seen := map[string]bool{}
	for _, s := range m.Open {
		if !slices.Contains(m.States, s) {
			return fmt.Errorf("open state %q is not a state", s)
		}
	}
	for _, mv := range m.Moves {
		if !slices.Contains(m.States, mv.From) || !slices.Contains(m.States, mv.To) {
			return fmt.Errorf("move %s: %s -> %s names an undeclared state", mv.Action, mv.From, mv.To)
		}
		for _, key := range []string{mv.From + " to " + mv.To, mv.From + " by " + mv.Action} {
			if seen[key] {
				return fmt.Errorf("two moves from %s share %q", mv.From, key)
			}
			seen[key] = true
		}
		reached[mv.To] = true
	}
	for _, s := range m.States {
		if !reached[s] {
			return fmt.Errorf("state %q is never reached", s)
		}
	}
	return nil
}

// Move returns the move from -> to, if the table has one.
func (m Machine) Move(from, to string) (Move, bool) {
	for _, mv := range m.Moves {
		if mv.From == from && mv.To == to {
			return mv, true
		}
	}
	return Move{}, false
}

// Can reports whether a person may move a record from -> to.
func (m Machine) Can(from, to string) bool {
	mv, ok := m.Move(from, to)
	return ok && mv.By == ""
}

// Next lists the states a person may move a record in state from to.
func (m Machine) Next(from string) []string {
	var out []string
	for _, mv := range m.Moves {
		if mv.From == from && mv.By == "" {
			out = append(out, mv.To)
		}
	}
	return out
}

// Allowed says where a record in state from may go, for a message.
func (m Machine) Allowed(from string) string {
	n := m.Next(from)
	if len(n) == 0 {
		return "none, it is final"
	}
	return strings.Join(n, ", ")
}

// IsOpen reports whether work is still owed in state s.
func (m Machine) IsOpen(s string) bool { return slices.Contains(m.Open, s) }

// Final reports whether a record in state s can no longer move.
func (m Machine) Final(s string) bool {
	for _, mv := range m.Moves {
		if mv.From == s {
			return false
		}
	}
	return slices.Contains(m.States, s)
}
