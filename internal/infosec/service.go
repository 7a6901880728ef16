package infosec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/notify"
	"steward/internal/patch"
	"steward/internal/record"
	"steward/internal/store"
)

// hidden is what a caller who may not see security incidents is told: the
// record does not exist.
var hidden = store.ErrNotFound

// Create reports a security incident for p. Only administrators and
// members of a security group report and see them; to anyone else the
// area holds nothing, not even a place to report one (ErrNotFound).
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewIncident) (Incident, error) {
	if !p.Can(PermWork) {
		return Incident{}, domainerr.ErrForbidden
	}
	if ok, err := Cleared(ctx, s.DB, p); err != nil || !ok {
		return Incident{}, cmpErr(err, hidden)
	}
	var out Incident
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.create(ctx, tx, p, in)
		return err
	})
	return out, err
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

func (s *Service) create(ctx context.Context, tx *store.Tx, p *auth.Principal, in NewIncident) (Incident, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	in.Title = strings.TrimSpace(in.Title)
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", in.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", in.Description, false, domainerr.MaxText)
	for _, f := range []struct {
		name string
		val  *string
	}{{"confidentiality", &in.Confidentiality}, {"integrity", &in.Integrity}, {"availability", &in.Availability}} {
		if *f.val == "" {
			*f.val = "none"
		}
		if !slices.Contains(Levels, *f.val) {
			v.Add(f.name, "must be one of none, low, medium, high")
		}
	}
	if in.PersonalData == "" {
		in.PersonalData = "unknown"
	}
	if !slices.Contains(PersonalData, in.PersonalData) {
		v.Add("personal_data", "must be one of unknown, yes, no")
	}
	aware := now
	if in.AwareAt != nil {
		aware = in.AwareAt.UTC().Truncate(time.Microsecond)
		if aware.After(now.Add(time.Minute)) {
			v.Add("aware_at", "cannot be in the future")
		}
	}
	desk, err := deskIncident(ctx, tx, in.Incident, v)
	if err != nil {
		return Incident{}, err
	}
	if err := checkOwner(ctx, tx, v, in.OwnerID); err != nil {
		return Incident{}, err
	}
	if err := v.Err(); err != nil {
		return Incident{}, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO security_incidents (title, description, state, confidentiality, integrity, availability,
		personal_data, aware_at, incident_id, owner_id, created_by, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id`,
		in.Title, in.Description, string(Reported), in.Confidentiality, in.Integrity, in.Availability,
		in.PersonalData, store.TS(aware), desk, in.OwnerID, p.UserID, store.TS(now), store.TS(now)).Scan(&id)
	if err := store.ScanErr(err); err != nil {
		return Incident{}, err
	}
	if _, err := journal.Append(ctx, tx, id, p, "created", "", nil, now); err != nil {
		return Incident{}, err
	}
	// The trail names the record and who acted, never its words: the
	// trail is read by people outside the security group.
	if err := audit.Record(ctx, tx, p.Actor(), "create", "security_incident", id, map[string]any{"number": FormatNumber(id)}); err != nil {
		return Incident{}, err
	}
	out, err := get(ctx, tx, id)
	if err != nil {
		return out, err
	}
	return out, s.tell(ctx, tx, p, out)
}

// tell notifies the people who see security incidents of a new one: its
// owner when named, else every member of the security groups and every
// administrator, except whoever reported it.
func (s *Service) tell(ctx context.Context, tx *store.Tx, p *auth.Principal, in Incident) error {
	to := []int64{}
	if in.OwnerID != nil {
		to = append(to, *in.OwnerID)
	} else {
		all, err := clearedUsers(ctx, tx)
		if err != nil {
			return err
		}
		to = all
	}
	to = slices.DeleteFunc(to, func(id int64) bool { return p != nil && id == p.UserID })
	return notify.Add(ctx, tx, to, "security_incident", "Security incident reported: "+in.Number+" "+in.Title,
		"Impact on confidentiality "+in.Confidentiality+", integrity "+in.Integrity+", availability "+in.Availability+".",
		"/security-incidents/"+in.Number)
}

// deskIncident reads the number of the desk incident a security incident
// came from.
func deskIncident(ctx context.Context, q store.Querier, ref string, v *domainerr.Invalid) (*int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, nil
	}
	id, ok := record.NumberID("INC-", ref)
	if !ok {
		if n, err := strconv.ParseInt(ref, 10, 64); err == nil && n > 0 {
			id, ok = n, true
		}
	}
	if !ok {
		v.Add("incident", "must be an incident number such as INC-000012")
		return nil, nil
	}
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM incidents WHERE id = ?", id).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		v.Add("incident", "%s does not exist", deskNumber(id))
		return nil, nil
	}
	return &id, err
}

func deskNumber(id int64) string { return fmt.Sprintf("INC-%06d", id) }

// checkOwner checks the owner is an active administrator or member of a
// security group: nobody else may see the record they would own.
func checkOwner(ctx context.Context, q store.Querier, v *domainerr.Invalid, owner *int64) error {
	if owner == nil {
		return nil
	}
	// One question for the one person: the list of everyone cleared is
	// bounded, the people who may own a record are not.
	cleared, err := isCleared(ctx, q, *owner)
	if err != nil {
		return err
	}
	if !cleared {
		v.Add("owner_id", "user %d is not an active member of a security group or an administrator", *owner)
	}
	return nil
}

// Get loads a security incident p may see; to anyone outside the security
// groups it does not exist.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (Incident, error) {
	if !p.Can(PermRead) {
		return Incident{}, domainerr.ErrForbidden
	}
	if ok, err := Cleared(ctx, s.DB, p); err != nil || !ok {
		return Incident{}, cmpErr(err, hidden)
	}
	return get(ctx, s.DB, id)
}

// Patch changes some fields of a security incident; absent fields stay.
type Patch struct {
	Title               *string                `json:"title"`
	Description         *string                `json:"description"`
	State               *State                 `json:"state"`
	Confidentiality     *string                `json:"confidentiality"`
	Integrity           *string                `json:"integrity"`
	Availability        *string                `json:"availability"`
	PersonalData        *string                `json:"personal_data"`
	Breach              *string                `json:"breach"`
	BreachReason        *string                `json:"breach_reason"`
	AwareAt             *time.Time             `json:"aware_at"`
	AuthorityNotifiedAt patch.Field[time.Time] `json:"authority_notified_at"`
	SubjectsNotifiedAt  patch.Field[time.Time] `json:"subjects_notified_at"`
	OwnerID             patch.Field[int64]     `json:"owner_id"`
	Closure             *string                `json:"closure"`
	Incident            patch.Field[string]    `json:"incident"`
}

// Update applies a patch for p. With ifVersion other than 0 the change is
// refused with ErrStale when the record moved on meanwhile.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, pt Patch, ifVersion int) (Incident, error) {
	if !p.Can(PermWork) {
		return Incident{}, domainerr.ErrForbidden
	}
	if ok, err := Cleared(ctx, s.DB, p); err != nil || !ok {
		return Incident{}, cmpErr(err, hidden)
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error { return s.update(ctx, tx, p, id, pt, ifVersion) })
	if err != nil {
		return Incident{}, err
	}
	return get(ctx, s.DB, id)
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, pt Patch, ifVersion int) error {
	if ok, err := Cleared(ctx, tx, p); err != nil || !ok {
		return cmpErr(err, hidden)
	}
	cur, err := get(ctx, tx, id)
	if err != nil {
		return err
	}
	if ifVersion != 0 && cur.Version != ifVersion {
		return domainerr.ErrStale
	}
	if cur.State == Closed {
		return domainerr.Conflictf("%s is closed and can no longer be changed", cur.Number)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	next, err := apply(ctx, tx, cur, pt, now)
	if err != nil {
		return err
	}
	changes := diff(cur, next)
	if len(changes) == 0 {
		return nil
	}
	if next.Breach != cur.Breach {
		next.BreachDecidedAt = nil
		if next.Breach != BreachUndecided {
			next.BreachDecidedAt = &now
		}
	}
	if next.State == Closed {
		next.ClosedAt = &now
	}
	res, err := tx.Exec(ctx, `UPDATE security_incidents SET title = ?, description = ?, state = ?, confidentiality = ?,
		integrity = ?, availability = ?, personal_data = ?, breach = ?, breach_reason = ?, breach_decided_at = ?, aware_at = ?,
		authority_notified_at = ?, subjects_notified_at = ?, incident_id = ?, owner_id = ?, closure = ?, updated_at = ?,
		closed_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		next.Title, next.Description, string(next.State), next.Confidentiality, next.Integrity, next.Availability,
		next.PersonalData, next.Breach, next.BreachReason, store.OptTS(next.BreachDecidedAt), store.TS(next.AwareAt),
		store.OptTS(next.AuthorityNotifiedAt), store.OptTS(next.SubjectsNotifiedAt), next.IncidentID, next.OwnerID,
		next.Closure, store.TS(now), store.OptTS(next.ClosedAt), cur.ID, cur.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domainerr.ErrStale
	}
	if _, err := journal.Append(ctx, tx, id, p, "change", "", changes, now); err != nil {
		return err
	}
	fields := make([]string, len(changes))
	for i, c := range changes {
		fields[i] = c.Field
	}
	if err := audit.Record(ctx, tx, p.Actor(), "update", "security_incident", id, map[string]any{"number": cur.Number, "fields": fields}); err != nil {
		return err
	}
	if pt.OwnerID.Set && next.OwnerID != nil && (cur.OwnerID == nil || *cur.OwnerID != *next.OwnerID) && *next.OwnerID != p.UserID {
		return notify.Add(ctx, tx, []int64{*next.OwnerID}, "security_incident", "Assigned to you: "+next.Number+" "+next.Title,
			"Security incident, "+human(string(next.State))+".", "/security-incidents/"+next.Number)
	}
	return nil
}

// human turns a code such as not_notifiable into words.
func human(s string) string { return strings.ReplaceAll(s, "_", " ") }

// apply computes the patched record and checks it with its move.
func apply(ctx context.Context, q store.Querier, cur Incident, pt Patch, now time.Time) (Incident, error) {
	next := cur
	v := domainerr.NewInvalid()
	text := func(field string, dst, src *string, required bool, max int) {
		if src == nil {
			return
		}
		*dst = *src
		if field == "title" {
			*dst = strings.TrimSpace(*src)
		}
		domainerr.Text(v, field, *dst, required, max)
	}
	text("title", &next.Title, pt.Title, true, domainerr.MaxTitle)
	text("description", &next.Description, pt.Description, false, domainerr.MaxText)
	text("breach_reason", &next.BreachReason, pt.BreachReason, false, domainerr.MaxText)
	text("closure", &next.Closure, pt.Closure, false, domainerr.MaxText)
	choose := func(field string, dst, src *string, allowed []string) {
		if src == nil {
			return
		}
		*dst = *src
		if !slices.Contains(allowed, *src) {
			v.Add(field, "must be one of %s", strings.Join(allowed, ", "))
		}
	}
	choose("confidentiality", &next.Confidentiality, pt.Confidentiality, Levels)
	choose("integrity", &next.Integrity, pt.Integrity, Levels)
	choose("availability", &next.Availability, pt.Availability, Levels)
	choose("personal_data", &next.PersonalData, pt.PersonalData, PersonalData)
	choose("breach", &next.Breach, pt.Breach, BreachDecisions)
	if pt.AwareAt != nil {
		next.AwareAt = pt.AwareAt.UTC().Truncate(time.Microsecond)
		if next.AwareAt.After(now.Add(time.Minute)) {
			v.Add("aware_at", "cannot be in the future")
		}
	}
	told := func(field string, dst **time.Time, f patch.Field[time.Time]) {
		if !f.Set {
			return
		}
		*dst = nil
		if t := f.Ptr(); t != nil {
			u := t.UTC().Truncate(time.Microsecond)
			*dst = &u
			switch {
			case u.After(now.Add(time.Minute)):
				v.Add(field, "cannot be in the future")
			case u.Before(next.AwareAt):
				v.Add(field, "cannot be before the organisation became aware")
			}
		}
	}
	told("authority_notified_at", &next.AuthorityNotifiedAt, pt.AuthorityNotifiedAt)
	told("subjects_notified_at", &next.SubjectsNotifiedAt, pt.SubjectsNotifiedAt)
	if pt.OwnerID.Set {
		next.OwnerID = pt.OwnerID.Ptr()
		if err := checkOwner(ctx, q, v, next.OwnerID); err != nil {
			return next, err
		}
	}
	if pt.Incident.Set {
		id, err := deskIncident(ctx, q, pt.Incident.V, v)
		if err != nil {
			return next, err
		}
		next.IncidentID, next.Incident = id, ""
		if id != nil {
			next.Incident = deskNumber(*id)
		}
	}
	checkBreach(v, next)
	if pt.State != nil {
		next.State = *pt.State
	}
	if next.State != cur.State {
		if !next.State.valid() {
			v.Add("state", "must be one of reported, triaged, contained, eradicated, recovered, closed")
			return next, v.Err()
		}
		mv, ok := Machine.Move(string(cur.State), string(next.State))
		if !ok || mv.By != "" {
			return next, domainerr.Conflictf("%s cannot move from %s to %s (allowed: %s)", cur.Number,
				human(string(cur.State)), human(string(next.State)), Machine.Allowed(string(cur.State)))
		}
		for _, f := range mv.Requires {
			requireToClose(v, f, next)
		}
	}
	return next, v.Err()
}

// checkBreach keeps the breach assessment consistent: a decision has its
// reason; notifying needs personal data involved; a notification is
// recorded only when the decision calls for it.
func checkBreach(v *domainerr.Invalid, in Incident) {
	if v.Has("breach") {
		return
	}
	if in.Breach != BreachUndecided && strings.TrimSpace(in.BreachReason) == "" {
		v.Add("breach_reason", "is required with a breach decision: say why")
	}
	if (in.Breach == BreachAuthority || in.Breach == BreachSubjects) && in.PersonalData != "yes" {
		v.Add("breach", "a notifiable breach needs personal data involved: set personal data to yes first")
	}
	if in.AuthorityNotifiedAt != nil && in.Breach != BreachAuthority && in.Breach != BreachSubjects {
		v.Add("authority_notified_at", "needs a breach decided as notifiable to the authority")
	}
	if in.SubjectsNotifiedAt != nil && in.Breach != BreachSubjects {
		v.Add("subjects_notified_at", "needs a breach decided as notifiable to the people concerned")
	}
}

// requireToClose checks what closing needs.
func requireToClose(v *domainerr.Invalid, field string, in Incident) {
	switch field {
	case "closure":
		if strings.TrimSpace(in.Closure) == "" {
			v.Add("closure", "is required to close: say how the incident ended and what was learnt")
		}
	case "breach":
		switch {
		case in.PersonalData == "unknown":
			v.Add("personal_data", "must be yes or no before closing: say whether personal data was involved")
		case in.PersonalData == "yes" && in.Breach == BreachUndecided:
			v.Add("breach", "must be decided before closing: personal data was involved")
		case (in.Breach == BreachAuthority || in.Breach == BreachSubjects) && in.AuthorityNotifiedAt == nil:
			v.Add("authority_notified_at", "is required before closing: record when the authority was told")
		case in.Breach == BreachSubjects && in.SubjectsNotifiedAt == nil:
			v.Add("subjects_notified_at", "is required before closing: record when the people concerned were told")
		}
	}
}

func diff(a, b Incident) []Change {
	var out []Change
	add := func(field, old, new string) {
		if old != new {
			out = append(out, Change{Field: field, Old: old, New: new})
		}
	}
	add("title", a.Title, b.Title)
	add("description", a.Description, b.Description)
	add("state", string(a.State), string(b.State))
	add("confidentiality", a.Confidentiality, b.Confidentiality)
	add("integrity", a.Integrity, b.Integrity)
	add("availability", a.Availability, b.Availability)
	add("personal_data", a.PersonalData, b.PersonalData)
	add("breach", a.Breach, b.Breach)
	add("breach_reason", a.BreachReason, b.BreachReason)
	add("aware_at", store.TS(a.AwareAt), store.TS(b.AwareAt))
	add("authority_notified_at", optTS(a.AuthorityNotifiedAt), optTS(b.AuthorityNotifiedAt))
	add("subjects_notified_at", optTS(a.SubjectsNotifiedAt), optTS(b.SubjectsNotifiedAt))
	add("owner_id", idStr(a.OwnerID), idStr(b.OwnerID))
	add("closure", a.Closure, b.Closure)
	add("incident", a.Incident, b.Incident)
	return out
}

func optTS(t *time.Time) string {
	if t == nil {
		return ""
	}
	return store.TS(*t)
}

func idStr(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// AddNote adds a work note to a security incident's journal.
func (s *Service) AddNote(ctx context.Context, p *auth.Principal, id int64, body string) (Entry, error) {
	if !p.Can(PermWork) {
		return Entry{}, domainerr.ErrForbidden
	}
	if _, err := s.Get(ctx, p, id); err != nil {
		return Entry{}, err
	}
	v := domainerr.NewInvalid()
	domainerr.Text(v, "body", body, true, domainerr.MaxText)
	if err := v.Err(); err != nil {
		return Entry{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	aid, name := record.AuthorOf(p)
	e := Entry{IncidentID: id, Kind: "work_note", AuthorID: aid, AuthorName: name, Body: body, CreatedAt: now, Changes: []Change{}}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if e.ID, err = journal.Append(ctx, tx, id, p, "work_note", body, nil, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE security_incidents SET updated_at = ? WHERE id = ?", store.TS(now), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "create", "security_incident_note", e.ID, map[string]any{"number": FormatNumber(id)})
	})
	return e, err
}

// Escalate opens a security incident from desk incident ref, with its
// title and description, linked back to it.
func (s *Service) Escalate(ctx context.Context, p *auth.Principal, ref string) (Incident, error) {
	id, ok := record.NumberID("INC-", ref)
	if !ok {
		return Incident{}, domainerr.Field("incident", "must be an incident number such as INC-000012")
	}
	var title, description string
	err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT title, description FROM incidents WHERE id = ?", id).Scan(&title, &description))
	if err != nil {
		return Incident{}, err
	}
	return s.Create(ctx, p, NewIncident{Title: cut(title, domainerr.MaxTitle), Description: description, Incident: deskNumber(id)})
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
