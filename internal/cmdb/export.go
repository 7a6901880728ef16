package cmdb

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"steward/internal/csvsafe"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// ExportFilter selects the CIs to export.
type ExportFilter struct {
	Type       string // a type's name or id; "" for all
	Status     Status // "" for all
	CustomerID int64  // 0 for all
	Query      string // part of the name, any letter case; "" for all
}

// exportCI is a CI as an export writes it in JSON: the import's shape.
type exportCI struct {
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Status     Status         `json:"status"`
	Owner      *string        `json:"owner"`
	Group      *string        `json:"group"`
	Customer   *string        `json:"customer"`
	Location   string         `json:"location"`
	Redundancy *Redundancy    `json:"redundancy"`
	Attributes map[string]any `json:"attributes"`
}

// exporter holds what turns ids back into the names an import reads.
type exporter struct {
	types     map[int64]*importType
	users     map[int64]string
	groups    map[int64]string
	customers map[int64]string
}

func newExporter(ctx context.Context, db *store.DB) (*exporter, error) {
	ex := &exporter{}
	var err error
	if _, ex.types, err = importLoadTypes(ctx, db); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		dst *map[int64]string
		sql string
	}{{&ex.users, "SELECT id, email FROM users"}, {&ex.groups, "SELECT id, name FROM support_groups"},
		{&ex.customers, "SELECT id, name FROM customers"}} {
		if *m.dst, err = exportNames(ctx, db, m.sql); err != nil {
			return nil, err
		}
	}
	return ex, nil
}

func exportNames(ctx context.Context, db *store.DB, q string) (map[int64]string, error) {
	rows, err := db.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// typeFilter resolves a type given by name or id.
func (ex *exporter) typeFilter(s string) (*importType, error) {
	for _, t := range ex.types {
		if strings.EqualFold(t.Name, s) || strconv.FormatInt(t.ID, 10) == s {
			return t, nil
		}
	}
	return nil, domainerr.Field("type", "unknown CI type %q", s)
}

// Export writes the CIs the filter selects in the format an import
// reads, so that importing an export changes nothing. It returns how many
// CIs it wrote. CSV has a column per attribute of the exported types;
// JSON is an array with one object per line.
func (s *Service) Export(ctx context.Context, w io.Writer, f ExportFilter, format DataFormat) (int, error) {
	if f.Status != "" && !f.Status.Valid() {
		return 0, domainerr.Field("status", "must be one of planned, in_use, maintenance, retired")
	}
	if format != FormatCSV && format != FormatJSON {
		return 0, domainerr.Field("format", "must be csv or json")
	}
	ex, err := newExporter(ctx, s.DB)
	if err != nil {
		return 0, err
	}
	var conds []string
	var args []any
	var only *importType
	if f.Type != "" {
		if only, err = ex.typeFilter(f.Type); err != nil {
			return 0, err
		}
		conds, args = append(conds, "type_id = ?"), append(args, only.ID)
	}
	if f.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, string(f.Status))
	}
	if f.CustomerID != 0 {
		conds, args = append(conds, "customer_id = ?"), append(args, f.CustomerID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if len(q) > domainerr.MaxName {
			return 0, domainerr.Field("q", "must be at most %d characters", domainerr.MaxName)
		}
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
		conds, args = append(conds, `lower(name) LIKE lower(?) ESCAPE '\'`), append(args, "%"+esc+"%")
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var out exportSink
	if format == FormatCSV {
		cols, err := ex.columns(ctx, s.DB, only)
		if err != nil {
			return 0, err
		}
		out = newExportCSV(bw, cols)
	} else {
		out = &exportJSON{w: bw}
	}
	rows, err := s.DB.Query(ctx, `SELECT type_id, name, status, owner_id, group_id, customer_id, location, attributes, redundancy
		FROM cis`+where+" ORDER BY id", args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var typeID int64
		var owner, group, customer *int64
		var attrs, red string
		c := exportCI{}
		if err := rows.Scan(&typeID, &c.Name, &c.Status, &owner, &group, &customer, &c.Location, &attrs, &red); err != nil {
			return n, err
		}
		t := ex.types[typeID]
		if t != nil {
			c.Type = t.Name
		}
		c.Owner, c.Group, c.Customer = exportName(ex.users, owner), exportName(ex.groups, group), exportName(ex.customers, customer)
		if err := importUnmarshal(attrs, &c.Attributes); err != nil {
			return n, err
		}
		if c.Attributes == nil {
			c.Attributes = map[string]any{}
		}
		if red != "" {
			c.Redundancy = &Redundancy{}
			if err := json.Unmarshal([]byte(red), c.Redundancy); err != nil {
				return n, err
			}
		}
		if err := out.write(&c, t); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := out.close(); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

func exportName(names map[int64]string, id *int64) *string {
	if id == nil {
		return nil
	}
	if n, ok := names[*id]; ok {
		return &n
	}
	s := strconv.FormatInt(*id, 10)
	return &s
}

// columns lists the attribute columns: those of the one type exported, or
// of every type that has CIs, each name once, in the types' order.
func (ex *exporter) columns(ctx context.Context, db *store.DB, only *importType) ([]string, error) {
	var ids []int64
	if only != nil {
		ids = []int64{only.ID}
	} else {
		rows, err := db.Query(ctx, "SELECT DISTINCT type_id FROM cis ORDER BY type_id")
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var cols []string
	seen := map[string]bool{}
	for _, id := range ids {
		t := ex.types[id]
		if t == nil {
			continue
		}
		for _, a := range t.Attributes {
			if !seen[a.Name] {
				seen[a.Name] = true
				cols = append(cols, a.Name)
			}
		}
	}
	return cols, nil
}

type exportSink interface {
	write(c *exportCI, t *importType) error
	close() error
}

// exportCSV writes cells by the csvsafe rule, which the import undoes.
type exportCSV struct {
	w     *csvsafe.Writer
	attrs []string
	rec   []string
}

var exportBase = []string{"type", "name", "status", "owner", "group", "customer", "location", "redundancy"}

func newExportCSV(w io.Writer, attrs []string) *exportCSV {
	e := &exportCSV{w: csvsafe.NewWriter(w), attrs: attrs}
	head := append([]string{}, exportBase...)
	for _, a := range attrs {
		if importBaseColumns[a] {
			a = "attr." + a // a column of that name would be read as the base field
		}
		head = append(head, a)
	}
	e.w.Write(head)
	e.rec = make([]string, len(head))
	return e
}

func (e *exportCSV) write(c *exportCI, t *importType) error {
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	e.rec[0], e.rec[1], e.rec[2] = c.Type, c.Name, string(c.Status)
	e.rec[3], e.rec[4], e.rec[5] = deref(c.Owner), deref(c.Group), deref(c.Customer)
	e.rec[6], e.rec[7] = c.Location, ""
	if r := c.Redundancy; r != nil {
		switch {
		case r.FailedWhenDown > 0:
			e.rec[7] = strconv.Itoa(r.FailedWhenDown)
		case r.FailedWhenDownPercent > 0:
			e.rec[7] = strconv.FormatFloat(r.FailedWhenDownPercent, 'f', -1, 64) + "%"
		}
	}
	for i, a := range e.attrs {
		e.rec[len(exportBase)+i] = ""
		if _, defined := t.attrs[a]; !defined {
			continue // left over from an earlier definition of the type
		}
		if v, ok := c.Attributes[a]; ok && v != nil {
			e.rec[len(exportBase)+i] = importValueText(v)
		}
	}
	return e.w.Write(e.rec)
}

func (e *exportCSV) close() error {
	e.w.Flush()
	return e.w.Error()
}

type exportJSON struct {
	w io.Writer
	n int
}

func (e *exportJSON) write(c *exportCI, _ *importType) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	sep := ",\n"
	if e.n == 0 {
		sep = "[\n"
	}
	e.n++
	if _, err := io.WriteString(e.w, sep); err != nil {
		return err
	}
	_, err = e.w.Write(raw)
	return err
}

func (e *exportJSON) close() error {
	if e.n == 0 {
		_, err := io.WriteString(e.w, "[]\n")
		return err
	}
	_, err := io.WriteString(e.w, "\n]\n")
	return err
}
