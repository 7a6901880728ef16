package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"steward/internal/availability"
	"steward/internal/httpx"
)

// serviceCard is the availability card of a service's page: the last 30
// days in the viewer's zone (the report's default period) against the
// service's target.
func (h availabilityPages) serviceCard(r *http.Request, serviceID int64) (*assuranceCard, error) {
	p := httpx.Principal(r)
	if !p.Can(availability.PermRead) {
		return nil, nil
	}
	loc := h.wb.clockOf(r).loc
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from, to := today.AddDate(0, 0, -29), today.AddDate(0, 0, 1)
	rep, err := h.svc.Report(r.Context(), p, availability.ReportQuery{ServiceID: serviceID, From: from, To: to})
	if err != nil {
		return nil, err
	}
	c := &assuranceCard{ID: "assurance-availability", Area: "Availability", LinkText: "Availability report",
		Href: "/availability?" + url.Values{"service": {strconv.FormatInt(serviceID, 10)}}.Encode()}
	if len(rep.Services) == 0 {
		c.Empty = "Not measured: the service is retired."
		return c, nil
	}
	f := rep.Services[0]
	switch {
	case f.Availability == nil:
		c.Empty = "No agreed service hours in the last 30 days, so nothing to measure."
		return c, nil
	case f.Target == nil && f.Outages == 0:
		c.Empty = "No availability target set and no outages recorded in the last 30 days."
		return c, nil
	}
	c.Figure = pctText(f.Availability)
	if f.Target == nil {
		c.Lines = append(c.Lines, "Over the last 30 days; no target set.")
	} else {
		c.Lines = append(c.Lines, "Over the last 30 days, against a target of "+pctText(f.Target)+" ("+hoursText(f.Hours)+").")
	}
	if f.Status == availability.Below {
		c.Flag = "below target"
	}
	if f.Outages > 0 {
		c.Lines = append(c.Lines, fmt.Sprintf("%s down in %d %s.", minutesText(f.DowntimeMinutes), f.Outages,
			map[bool]string{true: "outage", false: "outages"}[f.Outages == 1]))
	} else {
		c.Lines = append(c.Lines, "No outages.")
	}
	return c, nil
}

// hoursText names a target's agreed hours as the report does.
func hoursText(h string) string {
	if h == availability.RoundTheClock {
		return "round the clock"
	}
	return h
}
