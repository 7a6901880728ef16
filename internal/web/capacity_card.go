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
	tx := h.wb.clockOf(r).text()
	c := &assuranceCard{ID: "assurance-capacity", Area: tx.T("web.capacity_card.area"), LinkText: tx.T("web.capacity_card.link"),
		Href: "/capacity?" + url.Values{"service": {strconv.FormatInt(serviceID, 10)}}.Encode()}
	if len(rows) == 0 {
		c.Empty = tx.T("web.capacity_card.empty")
		return c, nil
	}
	top, clk := rows[0], h.wb.clockOf(r)
	s, fc := top.Series, top.Forecast
	c.Code, c.Figure = s.Metric, s.Subject
	if s.LastValue != nil {
		c.Lines = append(c.Lines, tx.T("web.capacity_card.latest", "Value", num(*s.LastValue), "Unit", s.Unit))
	}
	switch top.Level() {
	case "act":
		c.Flag = tx.T("web.capacity_card.flag_act")
		if top.Next != nil {
			c.Lines = append(c.Lines, tx.T("web.capacity_card.past_act", "Date", clk.day(*top.Next)))
		}
	case "warn":
		c.Flag = tx.T("web.capacity_card.flag_warn")
		if top.Next != nil {
			c.Lines = append(c.Lines, tx.T("web.capacity_card.reach_act", "Date", clk.day(*top.Next)))
		}
	case "soon":
		if fc.Warn.On != nil {
			c.Lines = append(c.Lines, tx.T("web.capacity_card.cross_warn", "Date", clk.day(*fc.Warn.On)))
		}
		if fc.Act.On != nil {
			c.Lines = append(c.Lines, tx.T("web.capacity_card.cross_act", "Date", clk.day(*fc.Act.On)))
		}
	case "ok":
		c.Lines = append(c.Lines, tx.T("web.capacity_card.no_crossing"))
	case "unknown":
		c.Lines = append(c.Lines, tx.T("web.capacity_card.no_forecast"))
	default:
		c.Lines = append(c.Lines, tx.T("web.capacity_card.no_thresholds"))
	}
	return c, nil
}
