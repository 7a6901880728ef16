package servicereport

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Formats a report is produced in on schedule; a definition without one
// is recorded by hand.
var Formats = []string{"pdf", "html", "csv"}

// TableChoice is a table a produced report may hold beside its KPIs.
type TableChoice struct{ Key, Title string }

// TableChoices are the tables offered, each over the report's period.
var TableChoices = []TableChoice{
	{"major-incidents", "Major incidents"},
	{"sla-breaches", "SLA breaches"},
	{"open-incidents", "Open incidents by priority"},
	{"changes", "Changes closed"},
}

// Scheduled is what a report produced by Steward holds, for whom and in
// which format.
type Scheduled struct {
	// KPIs are KPI definition keys, Tables keys of TableChoices.
	KPIs   []string `json:"kpis"`
	Tables []string `json:"tables"`
	// The audience: people by id, everyone active in a staff role, and
	// customers, whose people receive a report of their own figures.
	AudienceUsers     []int64  `json:"audience_users"`
	AudienceRoles     []string `json:"audience_roles"`
	AudienceCustomers []int64  `json:"audience_customers"`
	// Format is pdf, html or csv; "" for a report recorded by hand.
	Format string `json:"format"`
}

// ScheduledInput changes the fields of Scheduled that are not nil.
type ScheduledInput struct {
	KPIs              *[]string `json:"kpis"`
	Tables            *[]string `json:"tables"`
	AudienceUsers     *[]int64  `json:"audience_users"`
	AudienceRoles     *[]string `json:"audience_roles"`
	AudienceCustomers *[]int64  `json:"audience_customers"`
	Format            *string   `json:"format"`
}

// MaxChoices bounds each list of a definition.
const MaxChoices = 50

type scheduledCols struct {
	kpis, tables, users, roles, customers, format string
}

func (c *scheduledCols) dest() []any {
	return []any{&c.kpis, &c.tables, &c.users, &c.roles, &c.customers, &c.format}
}

func (c scheduledCols) decode() Scheduled {
	sc := Scheduled{Format: c.format}
	_ = json.Unmarshal([]byte(c.kpis), &sc.KPIs)
	_ = json.Unmarshal([]byte(c.tables), &sc.Tables)
	_ = json.Unmarshal([]byte(c.users), &sc.AudienceUsers)
	_ = json.Unmarshal([]byte(c.roles), &sc.AudienceRoles)
	_ = json.Unmarshal([]byte(c.customers), &sc.AudienceCustomers)
	sc.normalise()
	return sc
}

func (sc *Scheduled) normalise() {
	if sc.KPIs == nil {
		sc.KPIs = []string{}
	}
	if sc.Tables == nil {
		sc.Tables = []string{}
	}
	if sc.AudienceUsers == nil {
		sc.AudienceUsers = []int64{}
	}
	if sc.AudienceRoles == nil {
		sc.AudienceRoles = []string{}
	}
	if sc.AudienceCustomers == nil {
		sc.AudienceCustomers = []int64{}
	}
}

func encodeScheduled(sc Scheduled) []any {
	sc.normalise()
	enc := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	return []any{enc(sc.KPIs), enc(sc.Tables), enc(sc.AudienceUsers), enc(sc.AudienceRoles), enc(sc.AudienceCustomers), sc.Format}
}

func applyScheduled(sc *Scheduled, in ScheduledInput) {
	if in.KPIs != nil {
		sc.KPIs = trimmed(*in.KPIs)
	}
	if in.Tables != nil {
		sc.Tables = trimmed(*in.Tables)
	}
	if in.AudienceUsers != nil {
		sc.AudienceUsers = slices.Compact(slices.Sorted(slices.Values(*in.AudienceUsers)))
	}
	if in.AudienceRoles != nil {
		sc.AudienceRoles = trimmed(*in.AudienceRoles)
	}
	if in.AudienceCustomers != nil {
		sc.AudienceCustomers = slices.Compact(slices.Sorted(slices.Values(*in.AudienceCustomers)))
	}
	if in.Format != nil {
		sc.Format = strings.ToLower(strings.TrimSpace(*in.Format))
	}
}

// trimmed drops blanks and repeats, keeping the order.
func trimmed(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// checkScheduled validates what Steward would produce: a scheduled
// report has a format, content, an audience and a due date, and every
// KPI, table, person, role and customer it names exists.
func checkScheduled(ctx context.Context, q store.Querier, v *domainerr.Invalid, d Definition) error {
	sc := d.Scheduled
	if sc.Format != "" && !slices.Contains(Formats, sc.Format) {
		v.Add("format", "must be pdf, html or csv, or empty for a report recorded by hand")
	}
	for name, n := range map[string]int{"kpis": len(sc.KPIs), "tables": len(sc.Tables), "audience_users": len(sc.AudienceUsers),
		"audience_roles": len(sc.AudienceRoles), "audience_customers": len(sc.AudienceCustomers)} {
		if n > MaxChoices {
			v.Add(name, "at most %d", MaxChoices)
		}
	}
	for i, t := range sc.Tables {
		if !slices.ContainsFunc(TableChoices, func(c TableChoice) bool { return c.Key == t }) {
			v.Add(fmt.Sprintf("tables.%d", i), "no table %q; choose from the list", t)
		}
	}
	for i, r := range sc.AudienceRoles {
		switch r {
		case "admin", "agent", "auditor":
		case "requester":
			v.Add(fmt.Sprintf("audience_roles.%d", i), "requesters receive reports through their customer: choose the customer instead")
		default:
			v.Add(fmt.Sprintf("audience_roles.%d", i), "no role %q; choose admin, agent or auditor", r)
		}
	}
	exists := func(field, query string, ids []int64, what string) error {
		for i, id := range ids {
			var n int
			if err := q.QueryRow(ctx, query, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				v.Add(fmt.Sprintf("%s.%d", field, i), "no %s with id %d", what, id)
			}
		}
		return nil
	}
	if err := exists("audience_users", "SELECT COUNT(*) FROM users WHERE id = ? AND active = TRUE AND role <> 'requester'", sc.AudienceUsers,
		"active member of staff"); err != nil {
		return err
	}
	if err := exists("audience_customers", "SELECT COUNT(*) FROM customers WHERE id = ?", sc.AudienceCustomers, "customer"); err != nil {
		return err
	}
	for i, k := range sc.KPIs {
		var n int
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM kpi_definitions WHERE key = ?", k).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			v.Add(fmt.Sprintf("kpis.%d", i), "no KPI %q; choose from the list", k)
		}
	}
	if sc.Format == "" {
		return nil
	}
	if len(sc.AudienceUsers)+len(sc.AudienceRoles)+len(sc.AudienceCustomers) == 0 {
		v.Add("audience", "a report produced on schedule needs an audience: choose people, roles or customers to receive it")
	}
	if len(sc.KPIs)+len(sc.Tables) == 0 {
		v.Add("kpis", "a report produced on schedule needs content: choose at least one KPI or table")
	}
	if d.NextDue == "" {
		v.Add("next_due", "a report produced on schedule needs the date it is first due")
	}
	return nil
}

// Period is the span a report due on due covers: the frequency's period
// before it, up to the day before it.
func Period(due time.Time, freq string) (from, to time.Time) {
	switch freq {
	case "weekly":
		from = due.AddDate(0, 0, -7)
	case "quarterly":
		from = due.AddDate(0, -3, 0)
	case "yearly":
		from = due.AddDate(-1, 0, 0)
	default:
		from = due.AddDate(0, -1, 0)
	}
	return from, due.AddDate(0, 0, -1)
}

// Due lists the scheduled definitions due on or before day.
func (s *Service) Due(ctx context.Context, day string) ([]Definition, error) {
	rows, err := s.DB.Query(ctx, "SELECT "+defCols+" WHERE d.format <> '' AND d.next_due <= ? ORDER BY d.next_due, d.id LIMIT ?", day, MaxList)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Definition
	for rows.Next() {
		d, err := s.scanDef(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MaxFile caps a produced report's file.
const MaxFile = 8 << 20

// File is one produced report: for a customer (nil: for staff).
type File struct {
	CustomerID *int64
	Name, Type string
	Body       []byte
}

// RecordScheduled records, inside tx, the files produced for the report
// due on d.NextDue as runs of the system, and moves the due date on. The
// caller notifies the audience in the same transaction.
func (s *Service) RecordScheduled(ctx context.Context, tx *store.Tx, d Definition, from, to string, files []File) ([]Run, error) {
	now := s.now()
	var runs []Run
	for _, f := range files {
		if len(f.Body) > MaxFile {
			return nil, fmt.Errorf("report %q for %s to %s is %d bytes, more than the %d kept", d.Name, from, to, len(f.Body), MaxFile)
		}
		r := Run{DefinitionID: d.ID, PeriodFrom: from, PeriodTo: to, ProducedAt: now, CustomerID: f.CustomerID, FileName: f.Name,
			FileType: f.Type, FileSize: len(f.Body), ProducedByName: "Steward", Note: "Produced on schedule"}
		if err := tx.QueryRow(ctx, `INSERT INTO report_runs (definition_id, period_from, period_to, produced_at, note, customer_id,
			file_name, file_type, file_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.ID, from, to, store.TS(now), r.Note,
			f.CustomerID, f.Name, f.Type, len(f.Body)).Scan(&r.ID); err != nil {
			return nil, store.Translate(store.ScanErr(err))
		}
		if _, err := tx.Exec(ctx, "INSERT INTO report_files (run_id, body) VALUES (?, ?)", r.ID, f.Body); err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	due, err := time.Parse(dateOnly, d.NextDue)
	if err != nil {
		return nil, err
	}
	next := After(due, d.Frequency)
	for next.Format(dateOnly) <= now.Format(dateOnly) {
		// A node that was down for several periods catches up with one
		// report, not a burst of them.
		next = After(next, d.Frequency)
	}
	if _, err := tx.Exec(ctx, "UPDATE report_definitions SET next_due = ?, updated_at = ?, version = version + 1 WHERE id = ?",
		next.Format(dateOnly), store.TS(now), d.ID); err != nil {
		return nil, err
	}
	ids := make([]int64, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return runs, audit.Record(ctx, tx, audit.System, "produce", "report_definition", d.ID, map[string]any{"run_ids": ids,
		"period_from": from, "period_to": to, "format": d.Format, "next_due": next.Format(dateOnly)})
}

// RunFile is a produced report's file with the run it belongs to.
type RunFile struct {
	Run  Run
	Body []byte
}

// FileOf loads a run's file.
func (s *Service) FileOf(ctx context.Context, runID int64) (RunFile, error) {
	var f RunFile
	r := &f.Run
	var at store.Time
	err := s.DB.QueryRow(ctx, `SELECT r.id, r.definition_id, r.period_from, r.period_to, r.produced_at, r.customer_id, r.file_name,
		r.file_type, r.file_size, b.body FROM report_runs r JOIN report_files b ON b.run_id = r.id WHERE r.id = ?`, runID).
		Scan(&r.ID, &r.DefinitionID, &r.PeriodFrom, &r.PeriodTo, &at, &r.CustomerID, &r.FileName, &r.FileType, &r.FileSize, &f.Body)
	r.ProducedAt = at.Time
	return f, store.ScanErr(err)
}
