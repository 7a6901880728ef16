// Package dashboard keeps KPI definitions as data (metric, filter, period,
// target, direction), computes them from the records on a schedule into
// time-series snapshots, and lays them out as dashboards per role and per
// person, each figure linked to the records behind it. It also produces
// the scheduled service reports (9.4) from the same snapshots and
// delivers them to their audience.
package dashboard

import (
	"log/slog"
	"time"

	"steward/internal/auth"
	"steward/internal/servicereport"
	"steward/internal/store"
)

// The permissions of measurement and reporting. Everyone signed in reads
// a dashboard (requesters their organisation's figures only) and all but
// auditors arrange their own; staff and auditors read the KPI
// definitions and their history; administrators keep the definitions and
// the role dashboards.
var (
	PermRead    = auth.Declare("dashboard:read", "See dashboards of KPI tiles (requesters: their organisation's figures only)", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
	PermArrange = auth.Declare("dashboard:arrange", "Arrange one's own dashboard from KPI tiles", auth.Admin, auth.Agent, auth.Requester)
	PermKPIRead = auth.Declare("kpi:read", "Read KPI definitions and their snapshots", auth.Admin, auth.Agent, auth.Auditor)
	// PermKPIWrite also arranges the dashboards shipped for each role.
	PermKPIWrite = auth.Declare("kpi:write", "Keep KPI definitions and the dashboards of each role", auth.Admin)
	// PermReportFile opens a produced report's file: staff any, a
	// requester those produced for their organisation.
	PermReportFile = auth.Declare("report_file:read", "Download produced service reports (requesters: those for their organisation)", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
)

// Job kinds.
const (
	// SnapshotJob computes the current period of every definition, and
	// each closed period once.
	SnapshotJob = "dashboard.snapshots"
	// ReportJob finds the scheduled service reports that are due and
	// produces them.
	ReportJob = "dashboard.reports"
)

// Every how often the jobs run.
const (
	SnapshotEvery = 15 * time.Minute
	ReportEvery   = time.Hour
)

// Service is KPI snapshots, dashboards and produced reports over one
// database.
type Service struct {
	DB      *store.DB
	Log     *slog.Logger
	Reports *servicereport.Service
	Now     func() time.Time // the clock; time.Now when nil
	// Loc is the organisation's time zone: its days, weeks and months are
	// the KPI periods, and its date says which reports are due. UTC when
	// nil.
	Loc *time.Location
}

// Location is the organisation's time zone.
func (s *Service) Location() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// PeriodLabel says which span a period starting at start covers, as the
// organisation's calendar reads it: "June 2026", "Week from 1 Jun 2026",
// "1 Jun 2026".
func (s *Service) PeriodLabel(period string, start time.Time) string {
	t := start.In(s.Location())
	switch period {
	case "month":
		return t.Format("January 2006")
	case "week":
		return "Week from " + t.Format("2 Jan 2006")
	}
	return t.Format("2 Jan 2006")
}

// NewService builds KPI snapshots and dashboards.
func NewService(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Log: log, Reports: servicereport.NewService(db)}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}
