package problem

import (
	"context"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/store"
)

// The incidents a problem explains are record links "incident caused_by
// problem", the same links the linked-records panel shows from both ends.

// LinkedIncident is an incident a problem explains, as p may see it.
type LinkedIncident struct {
	ID        int64          `json:"id"`
	Number    string         `json:"number"`
	Title     string         `json:"title"`
	State     incident.State `json:"state"`
	Category  string         `json:"category"`
	CreatedAt time.Time      `json:"created_at"`
}

// incidentIDs resolves incident numbers or ids to incidents p may see;
// any other is a field message on incidents, naming it.
func (s *Service) incidentIDs(ctx context.Context, p *auth.Principal, refs []string, v *domainerr.Invalid) ([]int64, error) {
	if len(refs) > MaxIncidents {
		v.Add("incidents", "may name at most %d incidents", MaxIncidents)
		return nil, nil
	}
	var out []int64
	var bad []string
	for _, ref := range refs {
		id, ok := incident.ParseRef(ref)
		if !ok {
			bad = append(bad, strings.TrimSpace(ref))
			continue
		}
		_, err := s.Incidents.Get(ctx, p, id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, domainerr.ErrForbidden) {
			bad = append(bad, incident.FormatNumber(id))
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if len(bad) > 0 {
		v.Add("incidents", "no such incident, or you may not see it: %s", strings.Join(bad, ", "))
	}
	return uniq(out), nil
}

// linked reports whether incident iid is linked to problem id.
func linked(ctx context.Context, q store.Querier, id, iid int64) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM record_links WHERE from_kind = 'incident' AND from_id = ?
		AND type = 'caused_by' AND to_kind = 'problem' AND to_id = ?`, iid, id).Scan(&n)
	return n > 0, err
}

// link records, inside tx, that problem id explains incident iid, with a
// line in both journals; a link already there is left as it is.
func (s *Service) link(ctx context.Context, tx *store.Tx, p *auth.Principal, id, iid int64, now time.Time) error {
	if ok, err := linked(ctx, tx, id, iid); err != nil || ok {
		return err
	}
	var linkID int64
	err := tx.QueryRow(ctx, `INSERT INTO record_links (from_kind, from_id, type, to_kind, to_id, created_by, created_at)
		VALUES ('incident', ?, 'caused_by', 'problem', ?, ?, ?) RETURNING id`, iid, id, p.UserID, store.TS(now)).Scan(&linkID)
	if err := store.ScanErr(err); err != nil {
		return err
	}
	number, inc := FormatNumber(id), incident.FormatNumber(iid)
	if _, err := journal.Append(ctx, tx, id, p, "change", "", []Change{{Field: "link", New: "causes " + inc}}, now); err != nil {
		return err
	}
	if err := s.Incidents.Kind().Note(ctx, tx, p, iid, "link", "", "caused by "+number, false); err != nil {
		return err
	}
	return audit.Record(ctx, tx, p.Actor(), "create", "record_link", linkID,
		map[string]any{"from": inc, "type": "caused_by", "to": number})
}

// LinkIncidents links incidents (numbers or ids) to problem id. Incidents
// that are missing or that p may not see are refused by name, and
// nothing is linked.
func (s *Service) LinkIncidents(ctx context.Context, p *auth.Principal, id int64, refs []string) (Problem, error) {
	if !p.Can(PermUpdate) {
		return Problem{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if len(refs) == 0 {
		v.Add("incidents", "name at least one incident")
	}
	iids, err := s.incidentIDs(ctx, p, refs, v)
	if err != nil {
		return Problem{}, err
	}
	if err := v.Err(); err != nil {
		return Problem{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		pr, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if pr.State == Closed || pr.State == Cancelled {
			return domainerr.Conflictf("%s is %s: incidents can no longer be linked to it", pr.Number, human(string(pr.State)))
		}
		for _, iid := range iids {
			if err := s.link(ctx, tx, p, id, iid, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Problem{}, err
	}
	return get(ctx, s.DB, id)
}

// UnlinkIncident removes the link between problem id and incident iid.
func (s *Service) UnlinkIncident(ctx context.Context, p *auth.Principal, id, iid int64) error {
	if !p.Can(PermUpdate) {
		return domainerr.ErrForbidden
	}
	if _, err := s.Incidents.Get(ctx, p, iid); err != nil {
		if errors.Is(err, domainerr.ErrForbidden) {
			return store.ErrNotFound
		}
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		pr, err := get(ctx, tx, id)
		if err != nil {
			return err
		}
		if pr.State == Closed || pr.State == Cancelled {
			return domainerr.Conflictf("%s is %s: its incidents stay as they are", pr.Number, human(string(pr.State)))
		}
		var linkID int64
		err = store.ScanErr(tx.QueryRow(ctx, `SELECT id FROM record_links WHERE from_kind = 'incident' AND from_id = ?
			AND type = 'caused_by' AND to_kind = 'problem' AND to_id = ?`, iid, id).Scan(&linkID))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM record_links WHERE id = ?", linkID); err != nil {
			return err
		}
		inc := incident.FormatNumber(iid)
		if _, err := journal.Append(ctx, tx, id, p, "change", "", []Change{{Field: "link", Old: "causes " + inc}}, now); err != nil {
			return err
		}
		if err := s.Incidents.Kind().Note(ctx, tx, p, iid, "link", "caused by "+pr.Number, "", false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "record_link", linkID,
			map[string]any{"from": inc, "type": "caused_by", "to": pr.Number})
	})
}

// Incidents lists the incidents problem id explains, newest first.
func (s *Service) LinkedIncidents(ctx context.Context, p *auth.Principal, id int64) ([]LinkedIncident, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT i.id, i.title, i.state, i.category, i.created_at FROM record_links l
		JOIN incidents i ON i.id = l.from_id
		WHERE l.to_kind = 'problem' AND l.to_id = ? AND l.type = 'caused_by' AND l.from_kind = 'incident'
		ORDER BY i.id DESC LIMIT ?`, id, MaxIncidents*5)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LinkedIncident{}
	for rows.Next() {
		var li LinkedIncident
		var at store.Time
		if err := rows.Scan(&li.ID, &li.Title, &li.State, &li.Category, &at); err != nil {
			return nil, err
		}
		li.Number, li.CreatedAt = incident.FormatNumber(li.ID), at.Time
		out = append(out, li)
	}
	return out, rows.Err()
}

// ApplyWorkaround links incident iid to known error id and puts the known
// error's workaround on the incident as a work note, in one step. It
// returns the work note.
func (s *Service) ApplyWorkaround(ctx context.Context, p *auth.Principal, id, iid int64) (incident.Entry, error) {
	if !p.Can(PermRead) || !p.Can(incident.PermUpdate) {
		return incident.Entry{}, domainerr.ErrForbidden
	}
	pr, err := get(ctx, s.DB, id)
	if err != nil {
		return incident.Entry{}, err
	}
	if pr.State != KnownError {
		return incident.Entry{}, domainerr.Conflictf("%s is not a known error (it is %s): it has no workaround to apply",
			pr.Number, human(string(pr.State)))
	}
	if _, err := s.Incidents.Get(ctx, p, iid); errors.Is(err, store.ErrNotFound) {
		return incident.Entry{}, domainerr.Field("incident", "no such incident, or you may not see it: %s", incident.FormatNumber(iid))
	} else if err != nil {
		return incident.Entry{}, err
	}
	body := "Workaround from known error " + pr.Number + " (" + pr.Title + "):\n\n" + pr.Workaround
	now := time.Now().UTC().Truncate(time.Microsecond)
	return s.Incidents.AddComment(ctx, p, iid, body, false, func(ctx context.Context, tx *store.Tx, e incident.Entry) error {
		if err := s.link(ctx, tx, p, id, iid, now); err != nil {
			return err
		}
		_, err := journal.Append(ctx, tx, id, p, "work_note", "Workaround applied on "+incident.FormatNumber(iid)+".", nil, now)
		return err
	})
}
