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

// Mapping says, for each clause of another standard, which clauses of the
// source standard (the primary one) count as evidence for it: the shared
// structure of management-system standards lets one set of records serve
// several of them.
type Mapping struct {
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`
	// Targets maps a standard's id to its clauses, each with the source
	// clauses that count for it.
	Targets map[string]map[string][]string `json:"targets"`
}

var mapping = loadMapping()

func loadMapping() Mapping {
	var m Mapping
	buf, err := files.ReadFile("data/mapping.json")
	if err != nil {
		return Mapping{Source: Primary, Targets: map[string]map[string][]string{}}
	}
	if err := json.Unmarshal(buf, &m); err != nil {
		panic("clauses: mapping.json: " + err.Error())
	}
	if err := m.check(); err != nil {
		panic("clauses: mapping.json: " + err.Error())
	}
	return m
}

// check makes sure every mapped clause is in both outlines and that the
// source clauses are ones evidence is gathered for.
func (m Mapping) check() error {
	src, ok := standards[m.Source]
	if !ok {
		return fmt.Errorf("unknown source standard %q", m.Source)
	}
	leaf := map[string]bool{}
	for _, c := range src.Leaves() {
		leaf[c.Number] = true
	}
	for id, clauses := range m.Targets {
		std, ok := standards[id]
		if !ok {
			return fmt.Errorf("unknown standard %q", id)
		}
		for to, from := range clauses {
			if _, ok := std.Clause(to); !ok {
				return fmt.Errorf("%s has no clause %s", id, to)
			}
			for _, f := range from {
				if !leaf[f] {
					return fmt.Errorf("%s %s: %s is not a leaf clause of %s", id, to, f, m.Source)
				}
			}
		}
	}
	return nil
}

// Mappings is the whole mapping between the standards.
func Mappings() Mapping { return mapping }

// MappedFrom lists, for each clause of standard, the source clauses whose
// evidence counts for it; false when the standard is not mapped.
func MappedFrom(standard string) (map[string][]string, bool) {
	m, ok := mapping.Targets[standard]
	return m, ok
}
