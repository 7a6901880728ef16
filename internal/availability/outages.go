package availability

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/incident"
	"steward/internal/store"
)

const outageCols = `SELECT o.id, o.service_id, s.name, o.started_at, o.ended_at, o.weight, o.source, o.incident_id,
	o.summary, o.edited_at, o.created_at, o.updated_at, o.version FROM outages o JOIN services s ON s.id = o.service_id`

func scanOutage(row interface{ Scan(...any) error }) (Outage, error) {
	var o Outage
	var start, end, edited, created, updated store.Time
	err := row.Scan(&o.ID, &o.ServiceID, &o.ServiceName, &start, &end, &o.Weight, &o.Source, &o.IncidentID,
		&o.Summary, &edited, &created, &updated, &o.Version)
	if err != nil {
		return o, store.ScanErr(err)
	}
	o.StartedAt, o.EndedAt, o.Edited = start.Time, end.Ptr(), !edited.IsZero()
	o.CreatedAt, o.UpdatedAt = created.Time, updated.Time
	if o.IncidentID != nil {
		o.IncidentNumber = incident.FormatNumber(*o.IncidentID)
	}
	return o, nil
}

func getOutage(ctx context.Context, q store.Querier, id int64) (Outage, error) {
	return scanOutage(q.QueryRow(ctx, outageCols+" WHERE o.id = ?", id))
}

// GetOutage loads one outage.
func (s *Service) GetOutage(ctx context.Context, p *auth.Principal, id int64) (Outage, error) {
	if !p.Can(PermRead) {
		return Outage{}, domainerr.ErrForbidden
	}
	return getOutage(ctx, s.DB, id)
}

// OutageFilter narrows the list of outages. Zero values do not narrow.
type OutageFilter struct {
	ServiceID int64
	From, To  time.Time // outages overlapping [From, To)
	Source    string
	Cursor    string // where the previous page ended
	Limit     int
}

// MaxOutages caps one page of outages.
const MaxOutages = 200

// ListOutages lists outages, latest start first, a page at a time; next
// is the cursor of the following page, "" after the last.
func (s *Service) ListOutages(ctx context.Context, p *auth.Principal, f OutageFilter) (items []Outage, next string, err error) {
	if !p.Can(PermRead) {
		return nil, "", domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > MaxOutages {
		v.Add("limit", "must be at most %d", MaxOutages)
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.ServiceID != 0 {
		where, args = append(where, "o.service_id = ?"), append(args, f.ServiceID)
	}
	if !f.To.IsZero() {
		where, args = append(where, "o.started_at < ?"), append(args, store.TS(f.To))
	}
	if !f.From.IsZero() {
		where, args = append(where, "(o.ended_at IS NULL OR o.ended_at > ?)"), append(args, store.TS(f.From))
	}
	switch f.Source {
	case "":
	case Manual, Major, Alerting:
		where, args = append(where, "o.source = ?"), append(args, f.Source)
	default:
		v.Add("source", "must be manual, incident or alert")
	}
	if f.Cursor != "" {
		at, id, ok := parseCursor(f.Cursor)
		if !ok {
			v.Add("cursor", "is not a cursor this list gave")
		}
		where = append(where, "(o.started_at < ? OR (o.started_at = ? AND o.id < ?))")
		args = append(args, store.TS(at), store.TS(at), id)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	rows, err := s.DB.Query(ctx, outageCols+" WHERE "+strings.Join(where, " AND ")+
		" ORDER BY o.started_at DESC, o.id DESC LIMIT ?", append(args, f.Limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items = []Outage{}
	for rows.Next() {
		o, err := scanOutage(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(items) > f.Limit {
		items = items[:f.Limit]
		last := items[len(items)-1]
		next = strconv.FormatInt(last.StartedAt.UnixMicro(), 10) + "." + strconv.FormatInt(last.ID, 10)
	}
	return items, next, nil
}

func parseCursor(c string) (time.Time, int64, bool) {
	a, b, ok := strings.Cut(c, ".")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return time.Time{}, 0, false
	}
	return time.UnixMicro(us).UTC(), id, true
}

// mayChange checks that p may change the outages and target of service
// id: its owner, or whoever may change every service's. It answers the
// service's name.
func mayChange(ctx context.Context, q store.Querier, p *auth.Principal, id int64) (string, error) {
	if !p.Can(PermWrite) {
		return "", domainerr.ErrForbidden
	}
	var name string
	var owner *int64
	if err := store.ScanErr(q.QueryRow(ctx, "SELECT name, owner_id FROM services WHERE id = ?", id).Scan(&name, &owner)); err != nil {
		return "", err
	}
	if !p.Can(PermAny) && (owner == nil || *owner != p.UserID) {
		return name, domainerr.Refusedf("only the owner of %s, or an administrator, may change its availability records", name)
	}
	return name, nil
}

// checkSpan validates an outage's start, end and weight.
func checkSpan(v *domainerr.Invalid, start time.Time, end *time.Time, weight float64, now time.Time) {
	switch {
	case start.IsZero():
		v.Add("started_at", "is required: when the service was lost")
	case start.After(now.Add(time.Minute)):
		v.Add("started_at", "must not be in the future")
	}
	if end != nil && !start.IsZero() && !end.After(start) {
		v.Add("ended_at", "must be after the start (%s)", start.UTC().Format(time.RFC3339))
	}
	if !(weight > 0 && weight <= 1) {
		v.Add("weight", "must be more than 0 and at most 1 (1 for a full outage, 0.5 for half the service lost)")
	}
}

// CreateOutage records an outage by hand.
func (s *Service) CreateOutage(ctx context.Context, p *auth.Principal, in NewOutage) (Outage, error) {
	if !p.Can(PermWrite) {
		return Outage{}, domainerr.ErrForbidden
	}
	in.Summary = strings.TrimSpace(in.Summary)
	w := 1.0
	if in.Weight != nil {
		w = *in.Weight
	}
	now := s.now()
	v := domainerr.NewInvalid()
	checkSpan(v, in.StartedAt, in.EndedAt, w, now)
	domainerr.Text(v, "summary", in.Summary, true, domainerr.MaxText)
	if in.ServiceID <= 0 {
		v.Add("service_id", "is required: choose the service that was lost")
	}
	var out Outage
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if in.ServiceID > 0 {
			if _, err := mayChange(ctx, tx, p, in.ServiceID); errors.Is(err, store.ErrNotFound) {
				v.Add("service_id", "no service with id %d", in.ServiceID)
			} else if err != nil {
				return err
			}
		}
		if in.IncidentID != nil {
			var one int
			if err := store.ScanErr(tx.QueryRow(ctx, "SELECT 1 FROM incidents WHERE id = ?", *in.IncidentID).Scan(&one)); errors.Is(err, store.ErrNotFound) {
				v.Add("incident_id", "no incident with id %d", *in.IncidentID)
			} else if err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO outages (service_id, started_at, ended_at, weight, source, incident_id, summary,
			created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'manual', ?, ?, ?, ?, ?) RETURNING id`,
			in.ServiceID, store.TS(in.StartedAt), tsPtr(in.EndedAt), w, in.IncidentID, in.Summary, userOf(p), store.TS(now), store.TS(now)).Scan(&id)
		if err != nil {
			return store.Translate(err)
		}
		if err := audit.Record(ctx, tx, p.Actor(), "create", "outage", id, in); err != nil {
			return err
		}
		out, err = getOutage(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdateOutage corrects an outage; the reason is kept in the audit trail
// with what changed. A derived outage once corrected is left alone by
// derivation.
func (s *Service) UpdateOutage(ctx context.Context, p *auth.Principal, id int64, pt OutagePatch, ifVersion int) (Outage, error) {
	if !p.Can(PermWrite) {
		return Outage{}, domainerr.ErrForbidden
	}
	var out Outage
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getOutage(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := mayChange(ctx, tx, p, cur.ServiceID); err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != cur.Version {
			return domainerr.ErrStale
		}
		next := cur
		if pt.StartedAt != nil {
			next.StartedAt = pt.StartedAt.UTC()
		}
		if pt.EndedAt != nil {
			e := pt.EndedAt.UTC()
			next.EndedAt = &e
		}
		if pt.Ongoing {
			next.EndedAt = nil
		}
		if pt.Weight != nil {
			next.Weight = *pt.Weight
		}
		if pt.Summary != nil {
			next.Summary = strings.TrimSpace(*pt.Summary)
		}
		v := domainerr.NewInvalid()
		if pt.Ongoing && pt.EndedAt != nil {
			v.Add("ongoing", "give an end or say the outage lasts, not both")
		}
		checkSpan(v, next.StartedAt, next.EndedAt, next.Weight, s.now())
		domainerr.Text(v, "summary", next.Summary, next.Source == Manual, domainerr.MaxText)
		pt.Reason = strings.TrimSpace(pt.Reason)
		domainerr.Text(v, "reason", pt.Reason, true, domainerr.MaxShort)
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE outages SET started_at = ?, ended_at = ?, weight = ?, summary = ?, edited_at = ?,
			updated_at = ?, version = version + 1 WHERE id = ?`, store.TS(next.StartedAt), tsPtr(next.EndedAt), next.Weight,
			next.Summary, store.TS(now), store.TS(now), id); err != nil {
			return store.Translate(err)
		}
		if err := audit.Record(ctx, tx, p.Actor(), "update", "outage", id, map[string]any{
			"reason": pt.Reason, "before": spanOf(cur), "after": spanOf(next)}); err != nil {
			return err
		}
		out, err = getOutage(ctx, tx, id)
		return err
	})
	return out, err
}

// DeleteOutage removes an outage that was not one, with the reason kept
// in the audit trail. A derived outage removed stays removed: derivation
// does not bring it back.
func (s *Service) DeleteOutage(ctx context.Context, p *auth.Principal, id int64, reason string) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := getOutage(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := mayChange(ctx, tx, p, cur.ServiceID); err != nil {
			return err
		}
		reason = strings.TrimSpace(reason)
		v := domainerr.NewInvalid()
		domainerr.Text(v, "reason", reason, true, domainerr.MaxShort)
		if err := v.Err(); err != nil {
			return err
		}
		if cur.IncidentID != nil && cur.Source != Manual {
			if _, err := tx.Exec(ctx, `INSERT INTO outage_dismissals (incident_id, service_id, reason, created_at) VALUES (?, ?, ?, ?)`,
				*cur.IncidentID, cur.ServiceID, reason, store.TS(s.now())); err != nil {
				return store.Translate(err)
			}
		}
		if _, err := tx.Exec(ctx, "DELETE FROM outages WHERE id = ?", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "outage", id, map[string]any{"reason": reason, "before": spanOf(cur)})
	})
}

// History is the outage's audit trail, newest first: who changed it,
// when and why.
func (s *Service) History(ctx context.Context, p *auth.Principal, id int64) ([]audit.Entry, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	return audit.List(ctx, s.DB, audit.Filter{Entity: "outage", EntityID: strconv.FormatInt(id, 10), Limit: 100})
}

// spanOf is what the audit trail keeps of an outage.
func spanOf(o Outage) map[string]any {
	m := map[string]any{"service_id": o.ServiceID, "started_at": o.StartedAt.UTC().Format(time.RFC3339),
		"weight": o.Weight, "summary": o.Summary, "source": o.Source}
	if o.EndedAt != nil {
		m["ended_at"] = o.EndedAt.UTC().Format(time.RFC3339)
	}
	return m
}

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return store.TS(*t)
}

func userOf(p *auth.Principal) any {
	if p == nil || p.UserID == 0 {
		return nil
	}
	return p.UserID
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}
