package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/httpx"
	"steward/internal/infosec"
)

// The pickers: small JSON answers for picker.js, which turns a name field
// into a typeahead over people or CIs. Without the script the forms keep
// their selects and typed names (people.go resolves typed people), so
// these routes only add comfort.

// maxPickQuery bounds what a picker searches for: longer than any name.
const maxPickQuery = 100

// pickQuery is the text typed into a picker, trimmed and bounded.
func pickQuery(r *http.Request) string {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if r := []rune(q); len(r) > maxPickQuery {
		q = string(r[:maxPickQuery])
	}
	return q
}

// maxPicks bounds a picker's answer: enough to choose from, few enough to
// read at a glance.
const maxPicks = 20

// pick is one match: its id, what the field shows, and a note to tell
// namesakes apart (an e-mail address, a CI's type).
type pick struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
}

func (wb *Web) registerPickers(rt *httpx.Router) {
	rt.Handle("GET /pick/users", auth.UserRead, wb.pickUsers)
	rt.Handle("GET /pick/cis", auth.CIRead, wb.pickCIs)
}

// likeAny is a LIKE pattern matching text that contains q in any letter case.
func likeAny(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q)) + "%"
}

// pickUsers finds active people by name or e-mail. role narrows them to
// requesters, to agents (agents and admins: whom work is assigned to), or
// to staff (everyone but requesters).
// Everyone the caller may see as a choice elsewhere may be found: staff
// see everyone, others their own organisation, or themselves.
func (wb *Web) pickUsers(w http.ResponseWriter, r *http.Request) {
	p := httpx.Principal(r)
	q := pickQuery(r)
	sql := `SELECT u.id, u.name, u.email, COALESCE(c.name, '') FROM users u LEFT JOIN customers c ON c.id = u.customer_id
		WHERE u.active = ? AND (lower(u.name) LIKE ? ESCAPE '\' OR lower(u.email) LIKE ? ESCAPE '\')`
	args := []any{true, likeAny(q), likeAny(q)}
	switch k := personKind(r.URL.Query().Get("role")); k {
	case requesterPerson, agentPerson, staffPerson, approverPerson:
		sql += k.roleSQL()
	case securityPerson:
		// Who sees security incidents is for those who see them.
		if ok, err := infosec.Cleared(r.Context(), wb.DB, p); err != nil || !ok {
			writePicks(w, []pick{})
			return
		}
		sql += k.roleSQL()
	}
	if !p.IsStaff() {
		if p.CustomerID != 0 {
			sql, args = sql+" AND u.customer_id = ?", append(args, p.CustomerID)
		} else {
			sql, args = sql+" AND u.id = ?", append(args, p.UserID)
		}
	}
	rows, err := wb.DB.Query(r.Context(), sql+" ORDER BY lower(u.name), u.id LIMIT ?", append(args, maxPicks)...)
	if err != nil {
		wb.pickFailed(w, r, err)
		return
	}
	defer rows.Close()
	out := []pick{}
	for rows.Next() {
		var m pick
		var email, customer string
		if err := rows.Scan(&m.ID, &m.Name, &email, &customer); err != nil {
			wb.pickFailed(w, r, err)
			return
		}
		m.Note = email
		if customer != "" {
			m.Note += " · " + customer
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		wb.pickFailed(w, r, err)
		return
	}
	writePicks(w, out)
}

// pickCIs finds CIs by name.
func (wb *Web) pickCIs(w http.ResponseWriter, r *http.Request) {
	pg, err := wb.CMDB.ListCIs(r.Context(), cmdb.CIFilter{Query: pickQuery(r), Limit: maxPicks})
	if err != nil {
		wb.pickFailed(w, r, err)
		return
	}
	out := []pick{}
	for _, c := range pg.Items {
		out = append(out, pick{ID: c.ID, Name: c.Name, Note: c.Type})
	}
	writePicks(w, out)
}

func writePicks(w http.ResponseWriter, items []pick) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string][]pick{"items": items})
}

func (wb *Web) pickFailed(w http.ResponseWriter, r *http.Request, err error) {
	wb.Log.Error("web: picker", "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	json.NewEncoder(w).Encode(map[string]string{"error": "the matches could not be loaded"})
}
