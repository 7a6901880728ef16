package web

import (
	"errors"
	"net/http"
	"strings"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/incident"
)

// registerSettings adds the platform's settings pages: the priority
// matrix, which everyone holding settings:read sees and admins change.
func (wb *Web) registerSettings(rt *httpx.Router) {
	rt.Handle("GET /settings/priority-matrix", auth.SettingsRead, wb.matrixPage)
	wb.post(rt, "POST /settings/priority-matrix", auth.SettingsWrite, wb.saveMatrix)
}

// matrixCell is one impact and urgency with the priority they give.
type matrixCell struct {
	Impact, Urgency incident.Level
	Priority        string // P1..P5, or what was sent
	Err             string
}

// Class is the colour of the cell's priority.
func (c matrixCell) Class() string { return "prio-" + strings.ToLower(c.Priority) }

type matrixView struct {
	Urgencies  []incident.Level
	Rows       [][]matrixCell // by impact, highest first
	Priorities []string
	Err        string // about the whole grid
	Failed     bool
	CanWrite   bool
}

func (wb *Web) matrixPage(w http.ResponseWriter, r *http.Request) {
	m, err := wb.Incidents.Matrix(r.Context())
	if err != nil {
		wb.fail(w, r, err)
		return
	}
	wb.showMatrix(w, r, http.StatusOK, func(i, u incident.Level) matrixCell {
		return matrixCell{Priority: m.Priority(i, u).String()}
	}, "")
}

func (wb *Web) showMatrix(w http.ResponseWriter, r *http.Request, status int, cell func(i, u incident.Level) matrixCell, errMsg string) {
	v := matrixView{Urgencies: incident.Levels, Priorities: []string{"P1", "P2", "P3", "P4", "P5"}, Err: errMsg,
		CanWrite: httpx.Principal(r).Can(auth.SettingsWrite)}
	for _, i := range incident.Levels {
		var row []matrixCell
		for _, u := range incident.Levels {
			c := cell(i, u)
			c.Impact, c.Urgency = i, u
			v.Failed = v.Failed || c.Err != ""
			row = append(row, c)
		}
		v.Rows = append(v.Rows, row)
	}
	v.Failed = v.Failed || errMsg != ""
	wb.render(w, r, status, "matrix", page{Title: "Priority matrix", Active: "matrix", Data: v})
}

// saveMatrix takes the grid's nine cells, named m_<impact>_<urgency>, and
// saves them as PUT /api/v1/settings/priority-matrix does.
func (wb *Web) saveMatrix(w http.ResponseWriter, r *http.Request) {
	raw := map[incident.Level]map[incident.Level]string{}
	for _, i := range incident.Levels {
		raw[i] = map[incident.Level]string{}
		for _, u := range incident.Levels {
			raw[i][u] = r.PostFormValue("m_" + string(i) + "_" + string(u))
		}
	}
	m, err := incident.ParseMatrix(raw)
	if err == nil {
		err = wb.Incidents.SetMatrix(r.Context(), httpx.Principal(r), m)
	}
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		wb.redirect(w, r, "/settings/priority-matrix", "matrix")
	case errors.As(err, &inv):
		whole := ""
		if msg, ok := inv.Fields["matrix"]; ok {
			whole = wb.clockOf(r).text().T("web.settings.grid_not_saved", "Problem", msg)
		}
		wb.showMatrix(w, r, http.StatusUnprocessableEntity, func(i, u incident.Level) matrixCell {
			c := matrixCell{Priority: raw[i][u]}
			if msg, ok := inv.Fields[string(i)+"."+string(u)]; ok {
				c.Err = errText(wb.clockOf(r).text(), msg)
			}
			return c
		}, whole)
	default:
		wb.fail(w, r, err)
	}
}
