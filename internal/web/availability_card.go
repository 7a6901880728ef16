package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"steward/internal/availability"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// serviceCard is the availability card of a service's page: the last 30
// days in the viewer's zone (the report's default period) against the
// service's target.
func (h availabilityPages) serviceCard(r *http.Request, serviceID int64) (*assuranceCard, error) {
	p := httpx.Principal(r)
	if !p.Can(availability.PermRead) {
		return nil, nil
	}
	clk := h.wb.clockOf(r)
	loc, tx := clk.loc, clk.text()
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	from, to := today.AddDate(0, 0, -29), today.AddDate(0, 0, 1)
	rep, err := h.svc.Report(r.Context(), p, availability.ReportQuery{ServiceID: serviceID, From: from, To: to})
	if err != nil {
		return nil, err
	}
	c := &assuranceCard{ID: "assurance-availability", Area: tx.T("web.availability_card.area"), LinkText: tx.T("web.availability_card.link"),
		Href: "/availability?" + url.Values{"service": {strconv.FormatInt(serviceID, 10)}}.Encode()}
	if len(rep.Services) == 0 {
		c.Empty = tx.T("web.availability_card.retired")
		return c, nil
	}
	f := rep.Services[0]
	switch {
	case f.Availability == nil:
		c.Empty = tx.T("web.availability_card.no_hours")
		return c, nil
	case f.Target == nil && f.Outages == 0:
		c.Empty = tx.T("web.availability_card.nothing")
		return c, nil
	}
	c.Figure = pctText(f.Availability)
	if f.Target == nil {
		c.Lines = append(c.Lines, tx.T("web.availability_card.no_target"))
	} else {
		c.Lines = append(c.Lines, tx.T("web.availability_card.against", "Target", pctText(f.Target), "Hours", hoursText(tx, f.Hours)))
	}
	if f.Status == availability.Below {
		c.Flag = tx.T("web.availability_card.below")
	}
	if f.Outages > 0 {
		c.Lines = append(c.Lines, tx.T("web.availability_card.down", "Downtime", minutesText(f.DowntimeMinutes), "Count", f.Outages))
	} else {
		c.Lines = append(c.Lines, tx.T("web.availability_card.no_outages"))
	}
	return c, nil
}

// hoursText names a target's agreed hours as the report does.
func hoursText(tx i18n.Text, h string) string {
	if h == availability.RoundTheClock {
		return tx.T("web.availability_card.round_the_clock")
	}
	return h
}
