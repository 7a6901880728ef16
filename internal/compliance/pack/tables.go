package pack

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"steward/internal/csvsafe"
	"steward/internal/store"
)

// Tables are the tables whose rows are evidence, each written to its own
// CSV file: the management system's records and the operational records
// the clauses are evidenced by. A new table is in neither this list nor
// Withheld until someone decides which it belongs to (a test checks).
var Tables = []string{
	// The management system (clauses 4 to 7, 9 and 10).
	"context_issues", "interested_parties", "party_requirements", "scope_statements", "scope_services",
	"documents", "document_versions", "document_acknowledgements", "processes", "process_raci", "process_interfaces",
	"skills", "job_roles", "job_role_skills", "user_job_roles", "user_skills", "trainings",
	"risk_criteria", "risks", "risk_services", "risk_cis", "objectives", "improvements", "report_definitions", "report_runs",
	"kpi_definitions", "kpi_definition_versions", "kpi_snapshots",
	"audit_programmes", "internal_audits", "internal_audit_processes", "internal_audit_auditors", "internal_audit_items",
	"nonconformities", "management_reviews", "management_review_attendees", "sms_actions",
	"compliance_snapshots", "compliance_assessments",
	// Knowledge (7.6): articles, their versions and what readers said.
	"kb_articles", "kb_article_customers", "kb_versions", "kb_feedback",
	// Who is who.
	"customers", "support_groups", "users", "group_members", "user_managers",
	// Services, agreements and service levels.
	"services", "service_customers", "service_dependencies", "catalog_items", "catalog_task_templates",
	"calendars", "agreements", "sla_definitions", "sla_timers",
	// The operational records.
	"incidents", "incident_journal", "requests", "request_tasks", "request_journal",
	"problems", "problem_services", "problem_journal",
	"changes", "change_services", "change_journal", "change_approval_policies", "change_templates",
	// Every kind's approvals and their decisions.
	"approvals",
	"freeze_periods", "freeze_period_services", "freeze_period_cis",
	"releases", "release_changes", "release_deployments", "release_journal", "record_links", "record_cis", "attachments",
	// Configuration and assets.
	"ci_types", "cis", "ci_identifiers", "ci_relationships", "ci_history", "ci_baselines", "ci_baseline_items",
	"ci_verifications", "ci_verification_items", "assets", "cmdb_imports",
	// Event management's configuration: which senders exist and how their
	// events become incidents (the incidents themselves are above).
	"integrations", "event_settings", "device_aliases",
	// Where the activity feed is sent (8.2.3: other parties' tools).
	"webhooks",
	// Incoming mail's configuration: which address leads where, and how
	// unknown senders and floods are treated.
	"mail_in_addresses", "mail_in_settings",
	// Single sign-on's claim mapping and which roles must use a second factor.
	"identity_settings", "identity_rules",
	// Customers' voice (8.3.2): surveys, complaints and service reviews.
	"satisfaction_surveys", "complaints", "complaint_journal", "service_reviews", "service_review_actions",
	// Service assurance (8.7.1): outages, the downtime availability is
	// measured from, the derived ones removed and why, and the targets.
	"outages", "outage_dismissals", "availability_targets",
	// Budgeting and accounting (8.4.1): budgets, costs entered, contract
	// costs, exchange rates, each service's cost settings and allocation.
	"cost_settings", "budgets", "service_costs", "contract_costs", "exchange_rates", "service_cost_settings", "cost_allocation_shares",
	// Capacity and demand (8.4.2, 8.4.3): series with their thresholds,
	// daily peaks and capacity plans (the raw samples are withheld).
	"capacity_series", "capacity_daily", "capacity_plans", "capacity_plan_series",
	// Service continuity (8.7.2): requirements, plans, tests and invocations.
	"continuity_requirements", "continuity_plans", "continuity_plan_services", "continuity_plan_steps", "continuity_plan_contacts",
	"continuity_tests", "continuity_test_actions", "continuity_test_requirements", "continuity_invocations",
	// Information security (8.7.3): the controls register and the
	// advisories devices are matched against (security incidents are
	// withheld: only the security group reads them).
	"security_controls", "security_control_risks", "security_control_evidence", "security_advisories",
	// The audit trail the manifest's chain head sums up.
	"audit_log",
}

// Withheld are the tables an audit pack never holds: secrets (sessions,
// tokens, sign-in attempts, feed tokens, idempotency keys), people's own
// settings and inboxes, file contents and the job queue's internals, and
// monitoring's volume (events, alerts and device telemetry, millions of
// rows in a fleet: the incidents they opened are the evidence).
var Withheld = []string{
	// How far outage derivation has read the incidents: a job's bookmark.
	"outage_derivation",
	"sessions", "api_tokens", "login_failures", "login_attempts", "login_locks", "calendar_feed_tokens",
	"idempotency_keys", "settings", "user_preferences", "notifications", "saved_filters",
	"attachment_chunks", "cmdb_import_files", "cmdb_import_errors", "jobs", "activity",
	"events", "event_cursor", "alerts", "alert_log", "unmapped_devices", "device_status", "device_map_version",
	// Outbound webhooks' outbox and cursor: copies of the activity feed
	// and receivers' answers, purged after the retention.
	"webhook_deliveries", "webhook_cursor",
	// Incoming mail as received: the tickets it opened are the evidence;
	// the log names outsiders' addresses and the raw messages are mail.
	"mail_in_log", "mail_in_raw",
	// Second-factor secrets and recovery codes, sign-ins under way, and the
	// provider's identifiers of people.
	"user_totp", "user_recovery_codes", "signin_challenges", "identity_used_states", "identity_links",
	// Which requester opened which article, and the day each person last
	// read one: people's reading, whose counts are the evidence.
	"kb_opens", "kb_views",
	// Utilisation samples as received: millions of rows; their daily peaks
	// are the evidence.
	"capacity_samples",
	// Outgoing mail: people's messages and mail settings, reset-link hashes
	// and the throttle's log.
	"mail_outbox", "mail_settings", "password_resets", "password_reset_requests",
	// Produced report files (their runs are evidence), people's own
	// dashboards and which shipped KPIs were applied.
	"report_files", "dashboards", "dashboard_tiles", "kpi_defaults",
	// The hashes of one-click rating links: secrets; the answers are in
	// satisfaction_surveys.
	"survey_tokens",
	// Security incidents and their journals: only the security group and
	// administrators read them, and an audit pack goes to others.
	"security_incidents", "security_incident_journal",
}

// withheldColumns are columns left out of a table's CSV: secrets, and the
// snapshots' bodies (the one the pack is about is evidence.json).
var withheldColumns = map[string]map[string]bool{
	"users":                {"password_hash": true},
	"compliance_snapshots": {"body": true},
	// A routing key's hash, and a broker's address with its credentials.
	"integrations": {"key_hash": true, "config": true},
	// A receiver's signing secret and when it last changed (a column
	// named so would read as a secret to whoever opens the pack).
	"webhooks": {"secret": true, "secret_changed_at": true},
}

// withheldRows are rows left out of a table's CSV: the trail's sign-in
// entries keep what was typed as the e-mail (at times a password typed in
// the wrong box) and the address it came from; they are security events,
// not evidence for the management system.
var withheldRows = map[string]string{
	"audit_log": "action NOT IN ('login', 'login_failed', 'login_throttled') AND entity NOT IN ('security_incident', 'security_incident_note') AND data NOT LIKE '%\"SEC-%'",
	// Links and files of security incidents name them; only the security
	// group reads them.
	"record_links": "from_kind <> 'security_incident' AND to_kind <> 'security_incident'",
	"attachments":  "kind <> 'security_incident'",
}

// writeTable streams one table to w as CSV, row by row, in id order.
func writeTable(ctx context.Context, q store.Querier, table string, w io.Writer) (int64, error) {
	where := ""
	if cond, ok := withheldRows[table]; ok {
		where = " WHERE " + cond
	}
	rows, err := q.Query(ctx, "SELECT * FROM "+table+where+" ORDER BY 1")
	if err != nil {
		return 0, fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	keep := make([]bool, len(cols))
	var header []string
	for i, c := range cols {
		if !withheldColumns[table][c] {
			keep[i] = true
			header = append(header, c)
		}
	}
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, 0, len(header))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		rec = rec[:0]
		for i, v := range vals {
			if keep[i] {
				rec = append(rec, cell(v))
			}
		}
		if err := cw.Write(rec); err != nil {
			return n, err
		}
		n++
		if n%1024 == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return n, err
			}
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// cell writes one value as text: times in UTC RFC 3339, booleans as
// true/false, NULL as an empty cell.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
