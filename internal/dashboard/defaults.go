package dashboard

import (
	"context"
	"errors"
	"strings"

	"steward/internal/audit"
	"steward/internal/kpi"
	"steward/internal/store"
)

// shipped is a KPI definition Steward ships, and the role dashboards it
// appears on.
type shipped struct {
	key, title, metric, period string
	target                     *float64
	perCustomer                bool
	boards                     []string
}

func pct(v float64) *float64 { return &v }

// The role dashboards shipped, in the order offered.
var (
	BoardDeskLead     = "desk-lead"
	BoardServiceOwner = "service-owner"
	BoardSMSManager   = "sms-manager"
	BoardCustomer     = "customer"
)

// RoleBoards names the shipped dashboards.
var RoleBoards = []struct{ Key, Name, About string }{
	{BoardDeskLead, "Desk lead", "Today's queue: backlog, volume and the desk's service levels"},
	{BoardServiceOwner, "Service owner", "How the services perform against their agreements"},
	{BoardSMSManager, "SMS manager", "The management system's measures across the processes"},
	{BoardCustomer, "Customer", "Your organisation's tickets and service levels"},
}

var shippedKPIs = []shipped{
	{"incident-backlog", "Open incidents", "incident.backlog", "day", nil, true, []string{BoardDeskLead, BoardCustomer}},
	{"incidents-opened", "Incidents opened per week", "incident.opened", "week", nil, true, []string{BoardDeskLead, BoardCustomer}},
	{"incident-within-sla", "Incidents resolved within SLA", "incident.within_sla", "month", pct(90), true,
		[]string{BoardDeskLead, BoardServiceOwner, BoardSMSManager, BoardCustomer}},
	{"p1-within-sla", "P1 incidents resolved within SLA", "incident.p1_within_sla", "month", pct(95), false, []string{BoardDeskLead, BoardServiceOwner}},
	{"incident-mttr", "Mean time to resolve", "incident.mttr_hours", "week", pct(24), true, []string{BoardDeskLead, BoardServiceOwner, BoardCustomer}},
	{"incident-reopened", "Incidents reopened", "incident.reopened_pct", "month", pct(5), false, []string{BoardDeskLead}},
	{"major-incidents", "Major incidents", "incident.major_count", "month", nil, false, []string{BoardServiceOwner, BoardSMSManager}},
	{"request-backlog", "Open requests", "request.backlog", "day", nil, false, []string{BoardDeskLead}},
	{"request-within-target", "Requests fulfilled within target", "request.within_target", "month", pct(90), true,
		[]string{BoardDeskLead, BoardServiceOwner, BoardCustomer}},
	{"request-fulfilment", "Mean time to fulfil a request", "request.mean_fulfilment_hours", "week", nil, true, []string{BoardCustomer}},
	{"sla-targets-met", "SLA targets met", "sla.targets_met_pct", "month", pct(95), true, []string{BoardServiceOwner, BoardSMSManager, BoardCustomer}},
	{"sla-breaches", "SLA breaches per week", "sla.breaches", "week", nil, false, []string{BoardDeskLead, BoardServiceOwner}},
	{"problems-opened", "Problems opened", "problem.opened", "month", nil, false, []string{BoardServiceOwner}},
	{"problems-closed", "Problems closed", "problem.closed", "month", nil, false, []string{BoardSMSManager}},
	{"known-errors", "Known errors recorded", "problem.known_errors", "month", nil, false, []string{BoardSMSManager}},
	{"repeat-incidents", "Incidents repeating a known error", "problem.repeat_incident_pct", "month", pct(10), false, nil},
	{"change-success", "Changes successful", "change.success_rate", "month", pct(95), false, []string{BoardServiceOwner, BoardSMSManager}},
	{"emergency-changes", "Emergency changes", "change.emergency_pct", "month", pct(10), false, []string{BoardSMSManager}},
	{"changes-backed-out", "Changes backed out", "change.backed_out_pct", "month", pct(5), false, nil},
	{"change-lead-time", "Change lead time", "change.lead_time_days", "month", nil, false, []string{BoardSMSManager}},
	{"nc-days-to-close", "Days to close a nonconformity", "nc.mean_days_to_close", "month", pct(30), false, []string{BoardSMSManager}},
	{"overdue-actions", "Corrective actions overdue", "nc.overdue_actions", "month", pct(0), false, []string{BoardSMSManager}},
}

// customerFacing reports whether a metric registered by another area is
// about what customers feel (satisfaction, complaints): each such metric
// gets a monthly KPI of its own on the service owner's, the SMS
// manager's and (when it may be narrowed by customer) the customers'
// dashboards, as soon as it is registered.
func customerFacing(m kpi.Metric) bool {
	return m.Process == "satisfaction" || m.Process == "customer" || strings.HasPrefix(m.Key, "satisfaction.") ||
		strings.HasPrefix(m.Key, "complaint.")
}

// shippedNow is the shipped list with the customer-facing metrics
// registered in this build.
func shippedNow() []shipped {
	out := append([]shipped{}, shippedKPIs...)
	for _, m := range kpi.All() {
		if !customerFacing(m) {
			continue
		}
		per := m.Supports("customer")
		boards := []string{BoardServiceOwner, BoardSMSManager}
		if per {
			boards = append(boards, BoardCustomer)
		}
		out = append(out, shipped{key: slug(m.Key), title: m.Title, metric: m.Key, period: "month", perCustomer: per, boards: boards})
	}
	return out
}

// EnsureDefaults adds the shipped KPI definitions, role dashboards and
// their tiles that were not applied before. Each is applied once: one an
// administrator removed stays removed, and one whose metric is registered
// later is added then.
func (s *Service) EnsureDefaults(ctx context.Context) error {
	applied := map[string]bool{}
	rows, err := s.DB.Query(ctx, "SELECT key FROM kpi_defaults")
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return err
		}
		applied[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var todo []shipped
	for _, sh := range shippedNow() {
		if _, ok := kpi.Get(sh.metric); ok && !applied["kpi:"+sh.key] {
			todo = append(todo, sh)
		}
	}
	boardsDone := true
	for _, b := range RoleBoards {
		boardsDone = boardsDone && applied["board:"+b.Key]
	}
	if len(todo) == 0 && boardsDone {
		return nil
	}
	now := store.TS(s.now())
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		mark := func(k string) error {
			_, err := tx.Exec(ctx, "INSERT INTO kpi_defaults (key, applied_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", k, now)
			return err
		}
		for _, b := range RoleBoards {
			if applied["board:"+b.Key] {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO dashboards (role_key, name, updated_at) VALUES (?, ?, ?) ON CONFLICT (role_key) DO NOTHING`,
				b.Key, b.Name, now); err != nil {
				return err
			}
			if err := mark("board:" + b.Key); err != nil {
				return err
			}
		}
		for _, sh := range todo {
			m, _ := kpi.Get(sh.metric)
			var id int64
			err := store.ScanErr(tx.QueryRow(ctx, `INSERT INTO kpi_definitions (key, title, metric, filter, period, target, higher_is_better,
				per_customer, created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id`,
				sh.key, sh.title, sh.metric, sh.period, sh.target, m.HigherIsBetter, sh.perCustomer, now, now).Scan(&id))
			if errors.Is(err, store.ErrNotFound) {
				// An administrator made one with this key already.
				if err := mark("kpi:" + sh.key); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			d := Definition{ID: id, Key: sh.key, Title: sh.title, Metric: sh.metric, Period: sh.period, Target: sh.target,
				HigherIsBetter: m.HigherIsBetter, PerCustomer: sh.perCustomer, Version: 1}
			if err := s.recordVersion(ctx, tx, d, s.now()); err != nil {
				return err
			}
			for _, b := range sh.boards {
				if _, err := tx.Exec(ctx, `INSERT INTO dashboard_tiles (dashboard_id, position, kpi_id)
					SELECT d.id, COALESCE((SELECT MAX(t.position) + 1 FROM dashboard_tiles t WHERE t.dashboard_id = d.id), 0), ?
					FROM dashboards d WHERE d.role_key = ?`, id, b); err != nil {
					return err
				}
			}
			if err := audit.Record(ctx, tx, audit.System, "create", "kpi_definition", id, auditOf(d)); err != nil {
				return err
			}
			if err := mark("kpi:" + sh.key); err != nil {
				return err
			}
		}
		return nil
	})
}
