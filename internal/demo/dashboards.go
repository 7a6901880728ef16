package demo

import (
	"context"
	"io"
	"log/slog"
	"time"

	"steward/internal/audit"
	"steward/internal/dashboard"
	"steward/internal/servicereport"
	"steward/internal/store"
)

// loadDashboards ships the KPI definitions and role dashboards, computes
// their snapshots from the demo's records (the closed periods of the last
// weeks and months, and the current ones), and agrees a monthly KPI
// report in PDF for the administrators and one customer, produced once
// already for last month.
func loadDashboards(ctx context.Context, db *store.DB, loc *time.Location) error {
	svc := dashboard.NewService(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Loc = loc
	if _, err := svc.Refresh(ctx); err != nil {
		return err
	}
	var admin, customer int64
	if err := db.QueryRow(ctx, "SELECT id FROM users WHERE email = 'admin@steward.demo'").Scan(&admin); err != nil {
		return err
	}
	if err := db.QueryRow(ctx, `SELECT customer_id FROM users WHERE email = 'requester@steward.demo'`).Scan(&customer); err != nil {
		return err
	}
	var custName string
	if err := db.QueryRow(ctx, "SELECT name FROM customers WHERE id = ?", customer).Scan(&custName); err != nil {
		return err
	}
	now := time.Now().In(svc.Location())
	due := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	name, content, audience, freq := "Monthly KPI report", "Service levels, resolution times and change success, with the month's major incidents and SLA breaches.",
		"Administrators, and the people of "+custName+" with their own figures", "monthly"
	kpis := []string{"incident-within-sla", "sla-targets-met", "incident-mttr", "request-within-target", "change-success"}
	tables := []string{"major-incidents", "sla-breaches", "open-incidents"}
	roles, customers, format := []string{"admin"}, []int64{customer}, "pdf"
	_, err := svc.Reports.Create(ctx, audit.Actor{Type: "user", ID: admin, Name: "Ada Admin"}, servicereport.Input{Name: &name,
		Content: &content, Audience: &audience, Frequency: &freq, OwnerID: &admin, NextDue: &due,
		ScheduledInput: servicereport.ScheduledInput{KPIs: &kpis, Tables: &tables, AudienceRoles: &roles, AudienceCustomers: &customers, Format: &format}})
	if err != nil {
		return err
	}
	_, err = svc.ProduceDueReports(ctx)
	return err
}
