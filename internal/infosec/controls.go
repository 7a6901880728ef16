package infosec

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/store"
)

// Applicability decisions and implementation statuses of a control.
var (
	Applicabilities = []string{"undecided", "applicable", "not_applicable"}
	ControlStatuses = []string{"not_started", "planned", "partial", "implemented"}
)

// Limits on a control's links.
const (
	MaxControlRisks    = 50
	MaxControlEvidence = 50
)

// Control is a catalogue control with the organisation's decisions on it.
type Control struct {
	CatalogueControl
	Applicability string        `json:"applicability"`
	Justification string        `json:"justification"`
	OwnerID       *int64        `json:"owner_id"`
	OwnerName     string        `json:"owner_name"`
	Status        string        `json:"status"`
	Notes         string        `json:"notes"`
	UpdatedAt     *time.Time    `json:"updated_at"`
	Version       int           `json:"version"` // 0 until first decided
	Risks         []ControlRisk `json:"risks"`
	Evidence      []Evidence    `json:"evidence"`
}

// Number is the control's number as Annex A writes it: A.5.1.
func (c Control) Number() string { return "A." + c.Ref }

// ControlRisk is a risk of the register a control treats.
type ControlRisk struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// Evidence is something that shows a control works: a record's number
// (DOC-000003, CHG-000012), a page of Steward ("/changes") or a web link.
type Evidence struct {
	ID     int64  `json:"id"`
	Label  string `json:"label"`
	Target string `json:"target"`
}

func normRef(ref string) string {
	ref = strings.TrimSpace(ref)
	if len(ref) > 2 && (ref[0] == 'A' || ref[0] == 'a') && ref[1] == '.' {
		ref = ref[2:]
	}
	return ref
}

// Controls lists every Annex A control with the decisions taken on it.
func (s *Service) Controls(ctx context.Context, p *auth.Principal) ([]Control, error) {
	if !p.Can(PermControls) {
		return nil, domainerr.ErrForbidden
	}
	return controls(ctx, s.DB, "")
}

// Control is one control by its number ("5.1" or "A.5.1").
func (s *Service) Control(ctx context.Context, p *auth.Principal, ref string) (Control, error) {
	if !p.Can(PermControls) {
		return Control{}, domainerr.ErrForbidden
	}
	cat, ok := catalogueControl(ref)
	if !ok {
		return Control{}, store.ErrNotFound
	}
	list, err := controls(ctx, s.DB, cat.Ref)
	if err != nil {
		return Control{}, err
	}
	return list[0], nil
}

func controls(ctx context.Context, q store.Querier, only string) ([]Control, error) {
	out := make([]Control, 0, len(AnnexA))
	at := map[string]int{}
	for _, c := range AnnexA {
		if only != "" && c.Ref != only {
			continue
		}
		at[c.Ref] = len(out)
		out = append(out, Control{CatalogueControl: c, Applicability: "undecided", Status: "not_started",
			Risks: []ControlRisk{}, Evidence: []Evidence{}})
	}
	rows, err := q.Query(ctx, `SELECT c.ref, c.applicability, c.justification, c.owner_id, COALESCE(u.name, ''), c.status, c.notes,
		c.updated_at, c.version FROM security_controls c LEFT JOIN users u ON u.id = c.owner_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Control
		var ref string
		var at2 store.Time
		if err := rows.Scan(&ref, &c.Applicability, &c.Justification, &c.OwnerID, &c.OwnerName, &c.Status, &c.Notes, &at2, &c.Version); err != nil {
			return nil, err
		}
		if i, ok := at[ref]; ok {
			x := &out[i]
			x.Applicability, x.Justification, x.OwnerID, x.OwnerName = c.Applicability, c.Justification, c.OwnerID, c.OwnerName
			x.Status, x.Notes, x.UpdatedAt, x.Version = c.Status, c.Notes, at2.Ptr(), c.Version
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := controlLinks(ctx, q, out, at); err != nil {
		return nil, err
	}
	return out, nil
}

func controlLinks(ctx context.Context, q store.Querier, out []Control, at map[string]int) error {
	rows, err := q.Query(ctx, `SELECT cr.control_ref, r.id, r.title FROM security_control_risks cr JOIN risks r ON r.id = cr.risk_id ORDER BY r.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ref string
		var r ControlRisk
		if err := rows.Scan(&ref, &r.ID, &r.Title); err != nil {
			rows.Close()
			return err
		}
		if i, ok := at[ref]; ok {
			out[i].Risks = append(out[i].Risks, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.Query(ctx, `SELECT control_ref, id, label, target FROM security_control_evidence ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ref string
		var e Evidence
		if err := rows.Scan(&ref, &e.ID, &e.Label, &e.Target); err != nil {
			return err
		}
		if i, ok := at[ref]; ok {
			out[i].Evidence = append(out[i].Evidence, e)
		}
	}
	return rows.Err()
}

// ControlPatch is a decision on a control; absent fields stay.
type ControlPatch struct {
	Applicability *string            `json:"applicability"`
	Justification *string            `json:"justification"`
	OwnerID       patch.Field[int64] `json:"owner_id"`
	Status        *string            `json:"status"`
	Notes         *string            `json:"notes"`
	// RiskIDs, when present, replaces the linked risks.
	RiskIDs *[]int64 `json:"risk_ids"`
}

// DecideControl records a decision on a control. A control judged not
// applicable needs its justification.
func (s *Service) DecideControl(ctx context.Context, p *auth.Principal, ref string, pt ControlPatch, ifVersion int) (Control, error) {
	if !p.Can(PermControlW) {
		return Control{}, domainerr.ErrForbidden
	}
	cat, ok := catalogueControl(ref)
	if !ok {
		return Control{}, store.ErrNotFound
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		list, err := controls(ctx, tx, cat.Ref)
		if err != nil {
			return err
		}
		cur := list[0]
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next := cur
		v := domainerr.NewInvalid()
		if pt.Applicability != nil {
			next.Applicability = *pt.Applicability
			if !slices.Contains(Applicabilities, next.Applicability) {
				v.Add("applicability", "must be one of undecided, applicable, not_applicable")
			}
		}
		if pt.Status != nil {
			next.Status = *pt.Status
			if !slices.Contains(ControlStatuses, next.Status) {
				v.Add("status", "must be one of not_started, planned, partial, implemented")
			}
		}
		if pt.Justification != nil {
			next.Justification = strings.TrimSpace(*pt.Justification)
			domainerr.Text(v, "justification", next.Justification, false, 2000)
		}
		if pt.Notes != nil {
			next.Notes = *pt.Notes
			domainerr.Text(v, "notes", next.Notes, false, domainerr.MaxText)
		}
		if next.Applicability == "not_applicable" && next.Justification == "" && !v.Has("justification") {
			v.Add("justification", "is required for a control that is not applicable: say why it does not apply")
		}
		if pt.OwnerID.Set {
			next.OwnerID = pt.OwnerID.Ptr()
			if err := checkStaff(ctx, tx, v, next.OwnerID); err != nil {
				return err
			}
		}
		if pt.RiskIDs != nil {
			if err := checkRisks(ctx, tx, v, *pt.RiskIDs); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if cur.Version == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO security_controls (ref, applicability, justification, owner_id, status, notes, updated_at, version)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1)`, cat.Ref, next.Applicability, next.Justification, next.OwnerID, next.Status, next.Notes, store.TS(now))
		} else {
			_, err = tx.Exec(ctx, `UPDATE security_controls SET applicability = ?, justification = ?, owner_id = ?, status = ?, notes = ?,
				updated_at = ?, version = version + 1 WHERE ref = ?`, next.Applicability, next.Justification, next.OwnerID, next.Status,
				next.Notes, store.TS(now), cat.Ref)
		}
		if err != nil {
			return err
		}
		if pt.RiskIDs != nil {
			if _, err := tx.Exec(ctx, "DELETE FROM security_control_risks WHERE control_ref = ?", cat.Ref); err != nil {
				return err
			}
			for _, id := range uniq(*pt.RiskIDs) {
				if _, err := tx.Exec(ctx, "INSERT INTO security_control_risks (control_ref, risk_id) VALUES (?, ?)", cat.Ref, id); err != nil {
					return err
				}
			}
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "security_control", cat.Ref, pt)
	})
	if err != nil {
		return Control{}, err
	}
	return s.Control(ctx, p, cat.Ref)
}

func uniq(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkStaff checks an owner is an active administrator or agent.
func checkStaff(ctx context.Context, q store.Querier, v *domainerr.Invalid, id *int64) error {
	return auth.CheckWorker(ctx, q, v, "owner_id", id)
}

func checkRisks(ctx context.Context, q store.Querier, v *domainerr.Invalid, ids []int64) error {
	ids = uniq(ids)
	if len(ids) > MaxControlRisks {
		v.Add("risk_ids", "at most %d risks", MaxControlRisks)
		return nil
	}
	for _, id := range ids {
		var one int
		err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM risks WHERE id = ?", id).Scan(&one))
		if errors.Is(err, store.ErrNotFound) {
			v.Add("risk_ids", "risk %d does not exist", id)
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// AddEvidence links evidence to a control: a record's number, a page of
// Steward (starting with /) or a web link (https://).
func (s *Service) AddEvidence(ctx context.Context, p *auth.Principal, ref, label, target string) (Evidence, error) {
	if !p.Can(PermControlW) {
		return Evidence{}, domainerr.ErrForbidden
	}
	cat, ok := catalogueControl(ref)
	if !ok {
		return Evidence{}, store.ErrNotFound
	}
	e := Evidence{Label: strings.TrimSpace(label), Target: strings.TrimSpace(target)}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "target", e.Target, true, 500)
	if e.Label == "" {
		e.Label = e.Target
	}
	domainerr.Text(v, "label", e.Label, false, domainerr.MaxTitle)
	if !v.Has("target") && !validTarget(e.Target) {
		v.Add("target", "must be a record number such as DOC-000003, a page of Steward such as /changes, or a link starting with https://")
	}
	if err := v.Err(); err != nil {
		return Evidence{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM security_control_evidence WHERE control_ref = ?", cat.Ref).Scan(&n); err != nil {
			return err
		}
		if n >= MaxControlEvidence {
			return domainerr.Field("target", "a control holds at most %d pieces of evidence", MaxControlEvidence)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO security_controls (ref, updated_at, version) VALUES (?, ?, 1) ON CONFLICT (ref) DO NOTHING`,
			cat.Ref, store.TS(now)); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO security_control_evidence (control_ref, label, target, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			cat.Ref, e.Label, e.Target, store.TS(now)).Scan(&e.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "security_control_evidence", e.ID, e)
	})
	return e, err
}

// RemoveEvidence unlinks one piece of evidence from a control.
func (s *Service) RemoveEvidence(ctx context.Context, p *auth.Principal, ref string, id int64) error {
	if !p.Can(PermControlW) {
		return domainerr.ErrForbidden
	}
	cat, ok := catalogueControl(ref)
	if !ok {
		return store.ErrNotFound
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM security_control_evidence WHERE id = ? AND control_ref = ?", id, cat.Ref)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "security_control_evidence", id, nil)
	})
}

func validTarget(t string) bool {
	switch {
	case strings.HasPrefix(t, "https://"), strings.HasPrefix(t, "http://"):
		return !strings.ContainsAny(t, " \"<>")
	case strings.HasPrefix(t, "/"):
		return !strings.HasPrefix(t, "//") && !strings.ContainsAny(t, " \"<>\\")
	}
	// A record number: letters, a dash, digits.
	head, tail, ok := strings.Cut(t, "-")
	if !ok || head == "" || tail == "" {
		return false
	}
	for _, r := range head {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	for _, r := range tail {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
