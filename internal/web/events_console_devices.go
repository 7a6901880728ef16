package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
	"steward/internal/incident"
)

// unmappedView is the list of devices waiting to be mapped to CIs.
type unmappedView struct {
	Items    []event.UnmappedDevice
	Ignored  bool
	NextURL  string
	CanWrite bool
	// Failed is the device whose form failed, with its error and what
	// was typed, so the agent corrects it rather than types it again.
	Failed     string
	FailedInt  int64
	FailedCI   string
	FailedText string
	Error      string
}

// Is reports whether d is the device whose form failed.
func (v unmappedView) Is(d event.UnmappedDevice) bool {
	return v.Failed != "" && d.Device == v.Failed && d.IntegrationID == v.FailedInt
}

func (h consolePages) unmapped(w http.ResponseWriter, r *http.Request) {
	h.showUnmapped(w, r, http.StatusOK, unmappedView{})
}

func (h consolePages) showUnmapped(w http.ResponseWriter, r *http.Request, status int, v unmappedView) {
	p := httpx.Principal(r)
	q := r.URL.Query()
	v.Ignored = q.Get("ignored") == "1"
	v.CanWrite = p.Can(event.PermWrite)
	f := event.DeviceFilter{Ignored: v.Ignored, After: q.Get("cursor"), Limit: consolePageSize}
	pg, err := h.svc.UnmappedDevices(r.Context(), p, f)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		// A page link that no longer reads: start from the first page.
		pg, err = h.svc.UnmappedDevices(r.Context(), p, event.DeviceFilter{Ignored: v.Ignored, Limit: consolePageSize})
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	v.Items = pg.Items
	if pg.Next != "" {
		next := url.Values{"cursor": {pg.Next}}
		if v.Ignored {
			next.Set("ignored", "1")
		}
		v.NextURL = "/alerts/unmapped?" + next.Encode()
	}
	h.wb.render(w, r, status, "alerts_unmapped", page{Title: "Unmapped devices", Active: "unmapped-devices", Data: v})
}

func (h consolePages) mapDevice(w http.ResponseWriter, r *http.Request) {
	it, _ := strconv.ParseInt(r.PostFormValue("integration_id"), 10, 64)
	device, ciText := r.PostFormValue("device"), r.PostFormValue("ci")
	fail := func(status int, msg string) {
		h.showUnmapped(w, r, status, unmappedView{Failed: device, FailedInt: it, FailedCI: ciText, FailedText: msg})
	}
	ciID, err := h.wb.findCI(r.Context(), ciText)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		fail(http.StatusUnprocessableEntity, errText(h.wb.clockOf(r).text(), inv.Fields["other"]))
		return
	}
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	m, err := h.svc.MapDevice(r.Context(), httpx.Principal(r), it, device, ciID)
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/alerts/unmapped", "device_mapped:"+strconv.FormatInt(m.Rebound, 10))
	case errors.As(err, &inv):
		msg := inv.Fields["ci_id"]
		if msg == "" {
			msg = inv.Fields["device"]
		}
		fail(http.StatusUnprocessableEntity, errText(h.wb.clockOf(r).text(), msg))
	default:
		h.wb.fail(w, r, err)
	}
}

func (h consolePages) ignoreDevice(w http.ResponseWriter, r *http.Request) {
	it, _ := strconv.ParseInt(r.PostFormValue("integration_id"), 10, 64)
	if err := h.svc.IgnoreDevice(r.Context(), httpx.Principal(r), it, r.PostFormValue("device")); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/alerts/unmapped", "device_ignored")
}

// incidentAlertsPanel is the incident page's list of the incident's alerts.
type incidentAlertsPanel struct {
	Items     []alertRow
	More      bool // the incident has more alerts than the panel shows
	AllURL    string
	FromEvent bool // the incident was opened from events
}

const incidentPanelAlerts = 50

// incidentPanel lists the first alerts of an incident, for staff who may
// read alerts; nil when the incident has none and was not opened from
// events.
func (h consolePages) incidentPanel(r *http.Request, inc incident.Incident) (*incidentAlertsPanel, error) {
	p := httpx.Principal(r)
	if !p.Can(event.PermRead) {
		return nil, nil
	}
	ctx := r.Context()
	panel := &incidentAlertsPanel{AllURL: "/alerts?state=all&incident_id=" + strconv.FormatInt(inc.ID, 10)}
	var err error
	if panel.FromEvent, err = h.openedFromEvents(ctx, inc.ID); err != nil {
		return nil, err
	}
	pg, err := h.svc.ListAlerts(ctx, p, event.AlertFilter{IncidentID: inc.ID, Limit: incidentPanelAlerts})
	if err != nil {
		return nil, err
	}
	if len(pg.Items) == 0 && !panel.FromEvent {
		return nil, nil
	}
	ints, err := h.integrationNames(ctx)
	if err != nil {
		return nil, err
	}
	if panel.Items, err = h.rows(ctx, h.wb.clockOf(r).text(), pg.Items, ints); err != nil {
		return nil, err
	}
	panel.More = pg.Next != ""
	return panel, nil
}

// openedFromEvents reads where an incident came from.
func (h consolePages) openedFromEvents(ctx context.Context, id int64) (bool, error) {
	var source string
	if err := h.wb.DB.QueryRow(ctx, `SELECT source FROM incidents WHERE id = ?`, id).Scan(&source); err != nil {
		return false, err
	}
	return source == "event", nil
}
