package document

import (
	"bytes"
	"context"
	"fmt"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"steward/internal/store"
)

// ProcessRef is a process of the SMS, for choosing and naming.
type ProcessRef struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Clause string `json:"clause"`
}

// Processes lists the SMS's processes by clause order of their table.
func Processes(ctx context.Context, q store.Querier) ([]ProcessRef, error) {
	rows, err := q.Query(ctx, "SELECT key, name, clause FROM processes ORDER BY id LIMIT 500")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ProcessRef{}
	for rows.Next() {
		var p ProcessRef
		if err := rows.Scan(&p.Key, &p.Name, &p.Clause); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Check is one item of the documented information 7.5 asks for, and
// whether the register (or the area that keeps it) has it.
type Check struct {
	Item  string // what is asked for, in words
	Have  bool
	Count int    // how many approved documents or records there are
	Href  string // where to see them
	Note  string // what there is, or what is missing, in words
	// Missing lists the processes without an approved process document.
	Missing []ProcessRef
}

// Checklist says which of the mandatory documented information exists:
// an approved policy and SMS plan, the service catalogue (the services
// area), SLAs (the agreements) and an approved process document for
// every process.
func Checklist(ctx context.Context, q store.Querier) ([]Check, error) {
	count := func(sql string, args ...any) (int, error) {
		var n int
		err := q.QueryRow(ctx, sql, args...).Scan(&n)
		return n, err
	}
	var out []Check
	for _, t := range []struct {
		typ  Type
		item string
	}{{Policy, "Service management policy (5.2)"}, {SMSPlan, "SMS plan (6.3)"}} {
		n, err := count("SELECT COUNT(*) FROM documents WHERE doc_type = ? AND status = 'approved'", string(t.typ))
		if err != nil {
			return nil, err
		}
		c := Check{Item: t.item, Have: n > 0, Count: n, Href: "/documents?type=" + string(t.typ) + "&status=approved",
			Note: fmt.Sprintf("%d approved", n)}
		if n == 0 {
			c.Note = "no approved document of this type"
		}
		out = append(out, c)
	}
	n, err := count("SELECT COUNT(*) FROM services WHERE status <> 'retired'")
	if err != nil {
		return nil, err
	}
	c := Check{Item: "Service catalogue (8.2.4)", Have: n > 0, Count: n, Href: "/services", Note: fmt.Sprintf("%d services not retired", n)}
	if n == 0 {
		c.Note = "no services in the catalogue"
	}
	out = append(out, c)
	n, err = count("SELECT COUNT(*) FROM agreements WHERE kind = 'sla' AND active = ?", true)
	if err != nil {
		return nil, err
	}
	c = Check{Item: "Service level agreements (8.3.3)", Have: n > 0, Count: n, Href: "/agreements", Note: fmt.Sprintf("%d active SLAs", n)}
	if n == 0 {
		c.Note = "no active SLA"
	}
	out = append(out, c)

	procs, err := Processes(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT DISTINCT process_key FROM documents WHERE process_key <> ''
		AND doc_type IN ('process', 'procedure') AND status = 'approved'`)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		have[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c = Check{Item: "Process documents (4.4, 8)", Href: "/documents?type=process"}
	for _, p := range procs {
		if have[p.Key] {
			c.Count++
		} else {
			c.Missing = append(c.Missing, p)
		}
	}
	c.Have = len(c.Missing) == 0 && len(procs) > 0
	c.Note = fmt.Sprintf("%d of %d processes have an approved process document or procedure", c.Count, len(procs))
	out = append(out, c)
	return out, nil
}

// markdown renders without raw HTML (goldmark drops it and refuses
// javascript: links unless told to be unsafe, which it never is here).
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))

// RenderMarkdown is a version's text as HTML that is safe to show.
func RenderMarkdown(src string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}
