package web

import (
	"net/http"
	"net/url"
	"strconv"

	"steward/internal/capacity"
	"steward/internal/httpx"
)

// serviceCard is the capacity card of a service's page: the most urgent
// series of the service and its CIs, and when it crosses a threshold.
func (h capacityPages) serviceCard(r *http.Request, serviceID int64) (*assuranceCard, error) {
	p := httpx.Principal(r)
	if !p.Can(capacity.PermRead) {
		return nil, nil
	}
	rows, err := h.svc.Overview(r.Context(), p, serviceID)
	if err != nil {
		return nil, err
	}
	c := &assuranceCard{ID: "assurance-capacity", Area: "Capacity", LinkText: "Capacity of this service",
		Href: "/capacity?" + url.Values{"service": {strconv.FormatInt(serviceID, 10)}}.Encode()}
	if len(rows) == 0 {
		c.Empty = "No utilisation recorded for this service or its CIs."
		return c, nil
	}
	top, clk := rows[0], h.wb.clockOf(r)
	s, fc := top.Series, top.Forecast
	c.Code, c.Figure = s.Metric, s.Subject
	if s.LastValue != nil {
		c.Lines = append(c.Lines, "Latest "+num(*s.LastValue)+" "+s.Unit)
	}
	switch top.Level() {
	case "act":
		c.Flag = "past action threshold"
		if top.Next != nil {
			c.Lines = append(c.Lines, "Past its action threshold since "+clk.day(*top.Next)+".")
		}
	case "warn":
		c.Flag = "past warning threshold"
		if top.Next != nil {
			c.Lines = append(c.Lines, "Forecast to reach its action threshold on "+clk.day(*top.Next)+".")
		}
	case "soon":
		if fc.Warn.On != nil {
			c.Lines = append(c.Lines, "Forecast to cross its warning threshold on "+clk.day(*fc.Warn.On)+".")
		}
		if fc.Act.On != nil {
			c.Lines = append(c.Lines, "Forecast to cross its action threshold on "+clk.day(*fc.Act.On)+".")
		}
	case "ok":
		c.Lines = append(c.Lines, "Not forecast to cross a threshold within the horizon.")
	case "unknown":
		c.Lines = append(c.Lines, "Not enough data yet for a forecast.")
	default:
		c.Lines = append(c.Lines, "No thresholds set.")
	}
	return c, nil
}
