package dashboard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/notify"
	"steward/internal/request"
	"steward/internal/servicereport"
	"steward/internal/store"
)

// ReportKind is the notification a produced report sends its audience.
const ReportKind = "report_ready"

// reportData is what one produced report holds.
type reportData struct {
	Name         string
	Frequency    string
	From, To     time.Time // the period's first and last day
	CustomerName string    // "" for staff
	KPIs         []reportKPI
	Tables       []reportTable
	ProducedAt   time.Time
	// Loc is the organisation's time zone, in which the period's days,
	// the KPI periods and the production time are read.
	Loc *time.Location
}

type reportKPI struct {
	Def Definition
	// Points are the periods in the report's span; Trend the periods its
	// chart shows: at least the TrendLength periods up to the span's end.
	Points []Snapshot
	Trend  []Snapshot
	// Omitted says why the KPI is not in this report.
	Omitted string
}

type reportTable struct {
	Title string
	Head  []string
	Rows  [][]string
	// More says the table was cut at maxTableRows.
	More bool
}

const maxTableRows = 50

// maxChartPoints bounds the periods one chart of a report draws.
const maxChartPoints = 62

// ProduceDue is the periodic job: every scheduled report due today or
// before is produced from the snapshots and records, kept as a run with
// its file, and announced to its audience.
func (s *Service) ProduceDue(ctx context.Context, _ jobs.Job) error {
	_, err := s.ProduceDueReports(ctx)
	return err
}

// ProduceDueReports produces the reports due and says how many runs it
// recorded. A report that fails does not hold up the others.
func (s *Service) ProduceDueReports(ctx context.Context) (int, error) {
	// A report is due on the organisation's date, not UTC's.
	due, err := s.Reports.Due(ctx, s.now().In(s.Location()).Format("2006-01-02"))
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, d := range due {
		runs, err := s.produce(ctx, d)
		if err != nil {
			s.Log.Error("service report not produced", "report", d.Name, "id", d.ID, "err", err)
			errs = append(errs, fmt.Errorf("report %d: %w", d.ID, err))
			continue
		}
		n += runs
	}
	return n, errors.Join(errs...)
}

// produce makes one report's files (one for staff when people or roles
// receive it, one per customer in its audience), records them and
// notifies, all in one transaction.
func (s *Service) produce(ctx context.Context, d servicereport.Definition) (int, error) {
	due, err := time.Parse("2006-01-02", d.NextDue)
	if err != nil {
		return 0, err
	}
	from, to := servicereport.Period(due, d.Frequency)
	var files []servicereport.File
	type audienceOf struct{ users []int64 }
	var audiences []audienceOf
	staff, err := s.staffAudience(ctx, d)
	if err != nil {
		return 0, err
	}
	if len(staff) > 0 {
		f, err := s.render(ctx, d, from, to, 0)
		if err != nil {
			return 0, err
		}
		files, audiences = append(files, f), append(audiences, audienceOf{staff})
	}
	for _, c := range d.AudienceCustomers {
		people, err := store.IDs(ctx, s.DB, "SELECT id FROM users WHERE customer_id = ? AND role = 'requester' AND active = ? ORDER BY id LIMIT 10000", c, true)
		if err != nil {
			return 0, err
		}
		f, err := s.render(ctx, d, from, to, c)
		if err != nil {
			return 0, err
		}
		cust := c
		f.CustomerID = &cust
		files, audiences = append(files, f), append(audiences, audienceOf{people})
	}
	fromS, toS := from.Format("2006-01-02"), to.Format("2006-01-02")
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		runs, err := s.Reports.RecordScheduled(ctx, tx, d, fromS, toS, files)
		if err != nil {
			return err
		}
		for i, r := range runs {
			title := d.Name + " is ready"
			body := fmt.Sprintf("%s for %s to %s (%s).", d.Name, from.Format("2 Jan 2006"), to.Format("2 Jan 2006"), strings.ToUpper(d.Format))
			link := "/report-runs/" + strconv.FormatInt(r.ID, 10) + "/file"
			if err := notify.AddWith(ctx, tx, audiences[i].users, ReportKind, title, body, link, map[string]string{
				"report": d.Name, "from": fromS, "to": toS, "format": d.Format, "run_id": strconv.FormatInt(r.ID, 10)}); err != nil {
				return err
			}
		}
		return nil
	})
	return len(files), err
}

// staffAudience is the active people named and those in the roles named.
func (s *Service) staffAudience(ctx context.Context, d servicereport.Definition) ([]int64, error) {
	var out []int64
	for _, id := range d.AudienceUsers {
		var n int
		if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM users WHERE id = ? AND active = ? AND role <> 'requester'", id, true).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, id)
		}
	}
	for _, role := range d.AudienceRoles {
		if role == "requester" {
			continue
		}
		ids, err := store.IDs(ctx, s.DB, "SELECT id FROM users WHERE role = ? AND active = ? ORDER BY id LIMIT 10000", role, true)
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	return out, nil
}

// gather reads what a report holds for a customer (0: all).
func (s *Service) gather(ctx context.Context, d servicereport.Definition, from, to time.Time, customer int64) (reportData, error) {
	loc := s.Location()
	rd := reportData{Name: d.Name, Frequency: d.Frequency, From: from, To: to, ProducedAt: s.now(), Loc: loc}
	if customer != 0 {
		if err := s.DB.QueryRow(ctx, "SELECT name FROM customers WHERE id = ?", customer).Scan(&rd.CustomerName); err != nil {
			return rd, store.ScanErr(err)
		}
	}
	// The period's first and last days are the organisation's: from the
	// start of the first to the start of the day after the last.
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc).UTC()
	end := time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, loc).UTC()
	for _, key := range d.KPIs {
		def, err := s.Definition(ctx, s.DB, key)
		if errors.Is(err, store.ErrNotFound) {
			continue // removed since the report was defined
		}
		if err != nil {
			return rd, err
		}
		k := reportKPI{Def: def}
		if customer != 0 && !def.PerCustomer {
			k.Omitted = "not computed per customer"
		} else {
			first := PeriodStart(def.Period, start, loc)
			if k.Points, err = s.Series(ctx, s.DB, def.ID, customer, first, end); err != nil {
				return rd, err
			}
			back := periodBefore(def.Period, PeriodStart(def.Period, end.Add(-time.Nanosecond), loc), TrendLength-1, loc)
			if back.After(first) {
				back = first
			}
			if k.Trend, err = s.Series(ctx, s.DB, def.ID, customer, back, end); err != nil {
				return rd, err
			}
			if len(k.Trend) > maxChartPoints {
				k.Trend = k.Trend[len(k.Trend)-maxChartPoints:]
			}
		}
		rd.KPIs = append(rd.KPIs, k)
	}
	for _, t := range d.Tables {
		tb, ok, err := s.table(ctx, t, start, end, customer)
		if err != nil {
			return rd, err
		}
		if ok {
			rd.Tables = append(rd.Tables, tb)
		}
	}
	return rd, nil
}

// table reads one of servicereport.TableChoices over [from, end); a
// customer's report holds only tables of its own tickets.
func (s *Service) table(ctx context.Context, key string, from, end time.Time, customer int64) (reportTable, bool, error) {
	cond, args := "", []any{store.TS(from), store.TS(end)}
	if customer != 0 {
		cond, args = " AND customer_id = ?", append(args, customer)
	}
	day := func(t store.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(s.Location()).Format("2 Jan 2006")
	}
	var tb reportTable
	var rows [][]string
	var err error
	switch key {
	case "major-incidents":
		tb = reportTable{Title: "Major incidents", Head: []string{"Incident", "Title", "Priority", "Raised", "Resolved"}}
		rows, err = s.rows(ctx, `SELECT id, title, priority, created_at, resolved_at FROM incidents WHERE major = TRUE
			AND created_at >= ? AND created_at < ?`+cond+" ORDER BY created_at LIMIT ?", args, func(sc func(...any) error) ([]string, error) {
			var id int64
			var title string
			var prio int
			var cr, res store.Time
			err := sc(&id, &title, &prio, &cr, &res)
			return []string{incident.FormatNumber(id), title, "P" + strconv.Itoa(prio), day(cr), day(res)}, err
		})
	case "sla-breaches":
		tb = reportTable{Title: "SLA breaches", Head: []string{"Ticket", "Clock", "Breached"}}
		tcond := ""
		if customer != 0 {
			tcond = ` AND ((ticket_kind = 'incident' AND ticket_id IN (SELECT x.id FROM incidents x WHERE x.customer_id = ?))
				OR (ticket_kind = 'request' AND ticket_id IN (SELECT y.id FROM requests y WHERE y.customer_id = ?)))`
			args = append(args, customer)
		}
		rows, err = s.rows(ctx, `SELECT ticket_kind, ticket_id, metric, breached_at FROM sla_timers WHERE state = 'breached'
			AND decided_at >= ? AND decided_at < ?`+tcond+" ORDER BY decided_at LIMIT ?", args, func(sc func(...any) error) ([]string, error) {
			var kind, metric string
			var id int64
			var at store.Time
			err := sc(&kind, &id, &metric, &at)
			num := incident.FormatNumber(id)
			if kind == "request" {
				num = request.FormatNumber(id)
			}
			return []string{num, strings.ToUpper(metric[:1]) + metric[1:], day(at)}, err
		})
	case "open-incidents":
		tb = reportTable{Title: "Open incidents by priority", Head: []string{"Priority", "Open at the period's end"}}
		rows, err = s.rows(ctx, openByPriority(s.DB.Dialect(), cond),
			append([]any{store.TS(end), store.TS(end), store.TS(end)}, args[2:]...), func(sc func(...any) error) ([]string, error) {
				var prio, n int
				err := sc(&prio, &n)
				return []string{"P" + strconv.Itoa(prio), strconv.Itoa(n)}, err
			})
	case "changes":
		if customer != 0 {
			return tb, false, nil
		}
		tb = reportTable{Title: "Changes closed", Head: []string{"Change", "Title", "Type", "Outcome", "Closed"}}
		rows, err = s.rows(ctx, `SELECT id, title, type, outcome, closed_at FROM changes WHERE closed_at >= ? AND closed_at < ?
			ORDER BY closed_at LIMIT ?`, args, func(sc func(...any) error) ([]string, error) {
			var id int64
			var title, typ, outcome string
			var at store.Time
			err := sc(&id, &title, &typ, &outcome, &at)
			return []string{fmt.Sprintf("CHG-%06d", id), title, human(typ), human(outcome), day(at)}, err
		})
	default:
		return tb, false, nil
	}
	if len(rows) > maxTableRows {
		rows, tb.More = rows[:maxTableRows], true
	}
	tb.Rows = rows
	return tb, true, err
}

// openByPriority is the statement of the "open-incidents" table, with
// cond narrowing it further. The incidents raised before the period's end
// are read by a range on incidents_created (or the customer's index) and
// their five priorities counted in a small sort. On SQLite the unary plus
// keeps incidents_priority from serving GROUP BY and ORDER BY instead: to
// skip that five-row sort SQLite would walk all of it and fetch every
// incident ever raised. PostgreSQL plans it well with the plain column.
func openByPriority(d store.Dialect, cond string) string {
	prio := "priority"
	if d == store.SQLite {
		prio = "+priority"
	}
	return `SELECT priority, COUNT(*) FROM incidents WHERE created_at < ? AND (resolved_at IS NULL OR resolved_at >= ?)
			AND (closed_at IS NULL OR closed_at >= ?)` + cond + " GROUP BY " + prio + " ORDER BY " + prio + " LIMIT ?"
}

func (s *Service) rows(ctx context.Context, q string, args []any, scan func(func(...any) error) ([]string, error)) ([][]string, error) {
	rows, err := s.DB.Query(ctx, q, append(args, maxTableRows+1)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]string{}
	for rows.Next() {
		r, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// human turns a code into words: "backed_out" -> "Backed out".
func human(code string) string {
	if code == "" {
		return ""
	}
	s := strings.ReplaceAll(code, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// Figure is a value as a reader sees it: "93.5 %", "12.3 hours", "No data".
func Figure(v float64, n int, unit string) string {
	if n == 0 {
		return "No data"
	}
	num := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	switch unit {
	case "%":
		return num + " %"
	case "hours", "days":
		if num == "1" {
			return num + " " + strings.TrimSuffix(unit, "s")
		}
		return num + " " + unit
	case "of 5":
		return num + " of 5"
	}
	return num
}

// TargetText is a definition's target in words: "at least 90 %".
func (d Definition) TargetText() string {
	if d.Target == nil {
		return ""
	}
	word := "at most "
	if d.HigherIsBetter {
		word = "at least "
	}
	return word + Figure(*d.Target, 1, d.Unit)
}

// RunFile is a produced report's file as it is downloaded.
type RunFile struct {
	Name, Type string
	Body       []byte
}

// RunFile loads a produced report's file for a viewer: a requester only
// one produced for their organisation.
func (s *Service) RunFile(ctx context.Context, v Viewer, runID int64) (RunFile, error) {
	f, err := s.Reports.FileOf(ctx, runID)
	if err != nil {
		return RunFile{}, err
	}
	if v.customerOnly() && (f.Run.CustomerID == nil || *f.Run.CustomerID != v.CustomerID || v.CustomerID == 0) {
		return RunFile{}, store.ErrNotFound
	}
	return RunFile{Name: f.Run.FileName, Type: f.Run.FileType, Body: f.Body}, nil
}
