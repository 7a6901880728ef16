package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"steward/internal/audit"
	"steward/internal/calendar"
	"steward/internal/org"
	"steward/internal/sla"
	"steward/internal/store"
	"steward/internal/ticket"
)

// berlinHolidays are the German public holidays kept everywhere in the
// country: the fixed dates every year, and those that move with Easter for
// 2026 and 2027.
var berlinHolidays = []calendar.Holiday{
	{Date: "2026-01-01", Yearly: true, Name: "New Year's Day"},
	{Date: "2026-05-01", Yearly: true, Name: "Labour Day"},
	{Date: "2026-10-03", Yearly: true, Name: "German Unity Day"},
	{Date: "2026-12-25", Yearly: true, Name: "Christmas Day"},
	{Date: "2026-12-26", Yearly: true, Name: "Second Day of Christmas"},
	{Date: "2026-04-03", Name: "Good Friday"},
	{Date: "2026-04-06", Name: "Easter Monday"},
	{Date: "2026-05-14", Name: "Ascension Day"},
	{Date: "2026-05-25", Name: "Whit Monday"},
	{Date: "2027-03-26", Name: "Good Friday"},
	{Date: "2027-03-29", Name: "Easter Monday"},
	{Date: "2027-05-06", Name: "Ascension Day"},
	{Date: "2027-05-17", Name: "Whit Monday"},
}

// byPriority builds goals P1..P5 with the given targets on one calendar.
func byPriority(cal int64, targets ...string) []sla.Goal {
	var goals []sla.Goal
	for i, t := range targets {
		goals = append(goals, sla.Goal{Match: []sla.Clause{{Field: "priority", Op: "in", Values: []string{fmt.Sprintf("P%d", i+1)}}},
			Target: t, CalendarID: cal})
	}
	return goals
}

// LoadSLA adds the demo's service level management: a Berlin business
// hours calendar, an SLA with every customer (incident response and
// resolution, request fulfilment), an OLA with the service desk and an
// underpinning contract with a network carrier, the first SLA measuring
// tickets without a customer too. It expects the demo
// organisation (Load) and no agreements yet. svc may be nil.
func LoadSLA(ctx context.Context, db *store.DB, svc *sla.Service) error {
	if svc == nil {
		svc = sla.NewService(db, nil)
	}
	sys := audit.System
	spec := calendar.Spec{Name: "Business hours (Berlin)", TimeZone: "Europe/Berlin", Holidays: berlinHolidays}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		spec.Windows = append(spec.Windows, calendar.Window{Weekday: d, Start: "08:00", End: "12:00"},
			calendar.Window{Weekday: d, Start: "13:00", End: "17:00"})
	}
	cal, err := svc.CreateCalendar(ctx, sys, spec)
	if err != nil {
		return fmt.Errorf("demo calendar: %w", err)
	}
	define := func(agreement int64, name string, kind ticket.Kind, m sla.Metric, filter []sla.Clause, goals []sla.Goal) error {
		_, _, err := svc.CreateDefinition(ctx, sys, sla.DefinitionInput{AgreementID: agreement, Name: name, AppliesTo: kind, Metric: m,
			Filter: filter, Goals: goals}, nil)
		if err != nil {
			return fmt.Errorf("demo definition %q: %w", name, err)
		}
		return nil
	}
	// Contracts run two years from the first of last year's month; reviews
	// fall due over the coming months, the first within three weeks.
	now := time.Now().UTC()
	first := time.Date(now.Year()-1, now.Month(), 1, 0, 0, 0, 0, time.UTC)
	start, end := first.Format(time.DateOnly), first.AddDate(2, 0, -1).Format(time.DateOnly)
	reviews := 0
	review := func() *string {
		d := now.AddDate(0, 0, 18+reviews*45).Format(time.DateOnly)
		reviews++
		return &d
	}

	customers, err := org.Customers.Names(ctx, db)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(customers))
	for id := range customers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var measuresAll int64
	for _, id := range ids {
		a, err := svc.CreateAgreement(ctx, sys, sla.NewAgreement{Kind: sla.SLA, Name: customers[id] + " SLA", CustomerID: &id,
			Description:   "Support during business hours in Berlin, with response and resolution targets by priority.",
			ContractStart: &start, ContractEnd: &end, ReviewDate: review()})
		if err != nil {
			return fmt.Errorf("demo SLA: %w", err)
		}
		if measuresAll == 0 {
			measuresAll = a.ID
		}
		if err := define(a.ID, "Incident response", ticket.Incident, sla.Response, nil,
			byPriority(cal.ID, "15m", "1h", "4h", "8h", "2bd")); err != nil {
			return err
		}
		if err := define(a.ID, "Incident resolution", ticket.Incident, sla.Resolution, nil,
			byPriority(cal.ID, "4h", "8h", "3bd", "5bd", "10bd")); err != nil {
			return err
		}
		fulfil := append(byPriority(cal.ID, "1bd", "2bd", "3bd"), sla.Goal{Target: "5bd", CalendarID: cal.ID})
		if err := define(a.ID, "Request fulfilment", ticket.Request, sla.Resolution, nil, fulfil); err != nil {
			return err
		}
	}

	var desk int64
	if err := db.QueryRow(ctx, "SELECT id FROM support_groups WHERE name = ?", "Service Desk").Scan(&desk); err != nil {
		return fmt.Errorf("demo OLA: the Service Desk group: %w", store.ScanErr(err))
	}
	ola, err := svc.CreateAgreement(ctx, sys, sla.NewAgreement{Kind: sla.OLA, Name: "Service Desk OLA", GroupID: &desk,
		Description: "The service desk picks up what is assigned to it within half a working hour.", ReviewDate: review()})
	if err != nil {
		return fmt.Errorf("demo OLA: %w", err)
	}
	if err := define(ola.ID, "Service desk pick-up", ticket.Incident, sla.Response, nil,
		[]sla.Goal{{Target: "30m", CalendarID: cal.ID}}); err != nil {
		return err
	}

	contact := "NOC +49 30 5550 1234, noc@carrier.example"
	uc, err := svc.CreateAgreement(ctx, sys, sla.NewAgreement{Kind: sla.UC, Name: "WAN carrier contract", SupplierName: "Spreenetz Carrier GmbH",
		SupplierContact: contact, ContractStart: &start, ContractEnd: &end, ReviewDate: review(),
		Description: "Round-the-clock fault repair for the office WAN links.",
		Documents:   []sla.Document{{Name: "Framework contract", URL: "https://contracts.example/spreenetz/framework.pdf"}}})
	if err != nil {
		return fmt.Errorf("demo UC: %w", err)
	}
	if err := define(uc.ID, "WAN fault repair", ticket.Incident, sla.Resolution,
		[]sla.Clause{{Field: "category", Op: "in", Values: []string{"network"}}},
		[]sla.Goal{{Target: "8h", CalendarID: sla.DefaultCalendarID}}); err != nil {
		return err
	}
	// The first customer's SLA also measures tickets raised without a
	// customer, so an agent's own P1 gets a clock too.
	return svc.SetDefaultAgreement(ctx, sys, measuresAll)
}
