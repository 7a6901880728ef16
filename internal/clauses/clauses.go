// Package clauses holds the catalogue of management-system standards
// Steward assesses against: each standard's clauses (numbers, short titles
// and what an auditor looks for, in our own words) and the mapping between
// clauses that several standards share. The catalogue is data, one JSON
// file per standard under data/, so a new edition or another standard is a
// data change.
package clauses

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Clause is one clause or subclause of a standard.
type Clause struct {
	Number string `json:"clause"`
	Title  string `json:"title"`
	// Expects says, in our words, what an auditor expects to see.
	Expects string `json:"expects,omitempty"`
}

// Parent is the number of the clause this one sits under ("8.6" for
// "8.6.1"), or "" for a top-level clause.
func (c Clause) Parent() string {
	i := strings.LastIndexByte(c.Number, '.')
	if i < 0 {
		return ""
	}
	return c.Number[:i]
}

// Depth is 1 for a top-level clause, 2 for its subclauses, and so on.
func (c Clause) Depth() int { return strings.Count(c.Number, ".") + 1 }

// Standard is one standard's clause outline.
type Standard struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Short   string   `json:"short"`
	Clauses []Clause `json:"clauses"`
	byNum   map[string]int
}

// Clause finds a clause by number.
func (s *Standard) Clause(number string) (Clause, bool) {
	i, ok := s.byNum[number]
	if !ok {
		return Clause{}, false
	}
	return s.Clauses[i], true
}

// Children lists the clauses directly under number ("" for the top level),
// in order.
func (s *Standard) Children(number string) []Clause {
	var out []Clause
	for _, c := range s.Clauses {
		if c.Parent() == number {
			out = append(out, c)
		}
	}
	return out
}

// Leaves lists the clauses that have no subclauses, in order: the ones
// evidence is gathered for.
func (s *Standard) Leaves() []Clause {
	var out []Clause
	for i, c := range s.Clauses {
		if i+1 < len(s.Clauses) && s.Clauses[i+1].Parent() == c.Number {
			continue
		}
		out = append(out, c)
	}
	return out
}

//go:embed data/*.json
var files embed.FS

var standards = load()

func load() map[string]*Standard {
	names, err := fs.Glob(files, "data/*.json")
	if err != nil {
		panic(err)
	}
	out := map[string]*Standard{}
	for _, n := range names {
		buf, err := files.ReadFile(n)
		if err != nil {
			panic(err)
		}
		var s Standard
		if err := json.Unmarshal(buf, &s); err != nil {
			panic("clauses: " + n + ": " + err.Error())
		}
		if s.ID == "" {
			continue // not a standard (a mapping file)
		}
		if err := s.index(); err != nil {
			panic("clauses: " + n + ": " + err.Error())
		}
		out[s.ID] = &s
	}
	return out
}

// index sorts the clauses by number and checks that each appears once and
// sits under a clause that exists.
func (s *Standard) index() error {
	sort.SliceStable(s.Clauses, func(i, j int) bool { return Less(s.Clauses[i].Number, s.Clauses[j].Number) })
	s.byNum = map[string]int{}
	for i, c := range s.Clauses {
		if c.Number == "" || c.Title == "" {
			return fmt.Errorf("clause %d has no number or title", i)
		}
		if _, dup := s.byNum[c.Number]; dup {
			return fmt.Errorf("clause %s appears twice", c.Number)
		}
		if p := c.Parent(); p != "" {
			if _, ok := s.byNum[p]; !ok {
				return fmt.Errorf("clause %s sits under %s, which is not in the outline", c.Number, p)
			}
		}
		s.byNum[c.Number] = i
	}
	return nil
}

// Less orders clause numbers numerically part by part: 8.2 < 8.10 < 9.
func Less(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// Get finds a standard by id ("iso20000-1").
func Get(id string) (*Standard, bool) {
	s, ok := standards[id]
	return s, ok
}

// Primary is the standard the SMS is certified against.
const Primary = "iso20000-1"

// All lists the standards in the catalogue, the primary one first.
func All() []*Standard {
	out := make([]*Standard, 0, len(standards))
	for _, s := range standards {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].ID == Primary) != (out[j].ID == Primary) {
			return out[i].ID == Primary
		}
		return out[i].ID < out[j].ID
	})
	return out
}
