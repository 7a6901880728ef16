package sms

import (
	"context"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Party is an interested party of the SMS (4.2) with its requirements.
type Party struct {
	ID           int64         `json:"id"`
	Name         string        `json:"name"`
	Category     string        `json:"category"`
	Origin       string        `json:"origin"`
	Contact      string        `json:"contact"`
	CustomerID   int64         `json:"customer_id,omitempty"`
	ReviewDue    string        `json:"review_due,omitempty"`
	ReviewedOn   string        `json:"reviewed_on,omitempty"`
	Requirements []Requirement `json:"requirements"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
	Version      int           `json:"version"`
}

// Requirement is one thing a party needs of the SMS, traced to the
// catalogue service that meets it when there is one.
type Requirement struct {
	ID          int64     `json:"id"`
	Requirement string    `json:"requirement"`
	Source      string    `json:"source"`
	ServiceID   int64     `json:"service_id,omitempty"`
	ServiceName string    `json:"service_name,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// PartyInput creates a party or, with nil fields left alone, changes one.
type PartyInput struct {
	Name       *string `json:"name"`
	Category   *string `json:"category"`
	Origin     *string `json:"origin"`
	Contact    *string `json:"contact"`
	CustomerID *int64  `json:"customer_id"`
	ReviewDue  *string `json:"review_due"`
	ReviewedOn *string `json:"reviewed_on"`
}

// RequirementInput is a requirement to add to a party.
type RequirementInput struct {
	Requirement string `json:"requirement"`
	Source      string `json:"source"`
	ServiceID   int64  `json:"service_id"`
}

// PartyCategories are the kinds of interested party.
var PartyCategories = []string{"customer", "user", "supplier", "regulator", "staff", "owner", "partner", "other"}

// MaxRequirements bounds one party's requirements.
const MaxRequirements = 100

const partyCols = "id, name, category, origin, contact, customer_id, review_due, reviewed_on, created_at, updated_at, version"

func scanParty(row interface{ Scan(...any) error }) (Party, error) {
	var p Party
	var cr, up store.Time
	err := row.Scan(&p.ID, &p.Name, &p.Category, &p.Origin, &p.Contact, nullID{&p.CustomerID}, nullStr{&p.ReviewDue}, nullStr{&p.ReviewedOn}, &cr, &up, &p.Version)
	if err != nil {
		return p, store.ScanErr(err)
	}
	p.CreatedAt, p.UpdatedAt, p.Requirements = cr.Time, up.Time, []Requirement{}
	return p, nil
}

// Party loads one party with its requirements.
func (s *Service) Party(ctx context.Context, q store.Querier, id int64) (Party, error) {
	p, err := scanParty(q.QueryRow(ctx, "SELECT "+partyCols+" FROM interested_parties WHERE id = ?", id))
	if err != nil {
		return p, err
	}
	list := []Party{p}
	if err := loadRequirements(ctx, q, list); err != nil {
		return p, err
	}
	return list[0], nil
}

// Parties lists the parties by name, at most limit (MaxList) of them,
// after the id afterID for the next page.
func (s *Service) Parties(ctx context.Context, afterID int64, limit int) ([]Party, error) {
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	rows, err := s.DB.Query(ctx, "SELECT "+partyCols+" FROM interested_parties WHERE id > ? ORDER BY id LIMIT ?", afterID, limit)
	if err != nil {
		return nil, err
	}
	out := []Party{}
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadRequirements(ctx, s.DB, out)
}

func loadRequirements(ctx context.Context, q store.Querier, list []Party) error {
	if len(list) == 0 {
		return nil
	}
	at := map[int64]*Party{}
	args := make([]any, len(list))
	for i := range list {
		at[list[i].ID] = &list[i]
		args[i] = list[i].ID
	}
	rows, err := q.Query(ctx, `SELECT r.party_id, r.id, r.requirement, r.source, r.service_id, COALESCE(s.name, ''), r.created_at
		FROM party_requirements r LEFT JOIN services s ON s.id = r.service_id
		WHERE r.party_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+`) ORDER BY r.party_id, r.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int64
		var r Requirement
		var cr store.Time
		if err := rows.Scan(&pid, &r.ID, &r.Requirement, &r.Source, nullID{&r.ServiceID}, &r.ServiceName, &cr); err != nil {
			return err
		}
		r.CreatedAt = cr.Time
		at[pid].Requirements = append(at[pid].Requirements, r)
	}
	return rows.Err()
}

func applyParty(p *Party, in PartyInput) {
	for _, f := range []struct {
		dst *string
		src *string
	}{{&p.Name, in.Name}, {&p.Category, in.Category}, {&p.Origin, in.Origin}, {&p.Contact, in.Contact}, {&p.ReviewDue, in.ReviewDue}, {&p.ReviewedOn, in.ReviewedOn}} {
		if f.src != nil {
			*f.dst = strings.TrimSpace(*f.src)
		}
	}
	if in.CustomerID != nil {
		p.CustomerID = *in.CustomerID
	}
}

func (s *Service) checkParty(ctx context.Context, q store.Querier, p Party) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "name", p.Name, true, domainerr.MaxName)
	domainerr.Text(v, "contact", p.Contact, false, domainerr.MaxName)
	if !oneOf(p.Category, PartyCategories) {
		v.Add("category", "must be one of %s", strings.Join(PartyCategories, ", "))
	}
	if !oneOf(p.Origin, Origins) {
		v.Add("origin", "must be internal or external")
	}
	checkDate(v, "review_due", p.ReviewDue, false)
	checkDate(v, "reviewed_on", p.ReviewedOn, false)
	if validDate(p.ReviewedOn) {
		if p.ReviewedOn > s.Today() {
			v.Add("reviewed_on", "must not be in the future")
		}
		if validDate(p.ReviewDue) && p.ReviewDue <= p.ReviewedOn {
			v.Add("review_due", "must be after the last review")
		}
	}
	if err := exists(ctx, q, v, "customer_id", "customers", "customer", p.CustomerID); err != nil {
		return err
	}
	return v.Err()
}

func partyAudit(p Party) map[string]any {
	return map[string]any{"name": p.Name, "category": p.Category, "origin": p.Origin, "contact": p.Contact, "customer_id": p.CustomerID,
		"review_due": p.ReviewDue, "reviewed_on": p.ReviewedOn}
}

// CreateParty adds an interested party.
func (s *Service) CreateParty(ctx context.Context, actor audit.Actor, in PartyInput) (Party, error) {
	p := Party{Category: "other", Origin: "external"}
	applyParty(&p, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.checkParty(ctx, tx, p); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO interested_parties (name, category, origin, contact, customer_id, review_due, reviewed_on, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, p.Name, p.Category, p.Origin, p.Contact, optID(p.CustomerID),
			store.OptDate(p.ReviewDue), store.OptDate(p.ReviewedOn), store.TS(now), store.TS(now)).Scan(&p.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		return audit.Record(ctx, tx, actor, "create", "interested_party", p.ID, partyAudit(p))
	})
	if err != nil {
		return Party{}, err
	}
	return s.Party(ctx, s.DB, p.ID)
}

// UpdateParty changes the fields given, at the version the caller saw
// (0: any).
func (s *Service) UpdateParty(ctx context.Context, actor audit.Actor, id int64, in PartyInput, ifVersion int) (Party, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.Party(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != p.Version {
			return domainerr.ErrStale
		}
		applyParty(&p, in)
		if err := s.checkParty(ctx, tx, p); err != nil {
			return err
		}
		if err := bumpParty(ctx, tx, p, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "interested_party", id, partyAudit(p))
	})
	if err != nil {
		return Party{}, err
	}
	return s.Party(ctx, s.DB, id)
}

func bumpParty(ctx context.Context, tx *store.Tx, p Party, now time.Time) error {
	res, err := tx.Exec(ctx, `UPDATE interested_parties SET name = ?, category = ?, origin = ?, contact = ?, customer_id = ?, review_due = ?,
		reviewed_on = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, p.Name, p.Category, p.Origin, p.Contact,
		optID(p.CustomerID), store.OptDate(p.ReviewDue), store.OptDate(p.ReviewedOn), store.TS(now), p.ID, p.Version)
	if err != nil {
		return store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return domainerr.ErrStale
	}
	return nil
}

// AddRequirement adds a requirement to a party, traced to a service when
// one is named; the party's version moves on.
func (s *Service) AddRequirement(ctx context.Context, actor audit.Actor, partyID int64, in RequirementInput, ifVersion int) (Party, error) {
	in.Requirement, in.Source = strings.TrimSpace(in.Requirement), strings.TrimSpace(in.Source)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.Party(ctx, tx, partyID)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != p.Version {
			return domainerr.ErrStale
		}
		v := domainerr.NewInvalid()
		domainerr.Text(v, "requirement", in.Requirement, true, domainerr.MaxText)
		domainerr.Text(v, "source", in.Source, false, domainerr.MaxName)
		if err := exists(ctx, tx, v, "service_id", "services", "service", in.ServiceID); err != nil {
			return err
		}
		if len(p.Requirements) >= MaxRequirements {
			v.Add("requirement", "a party may have at most %d requirements", MaxRequirements)
		}
		if err := v.Err(); err != nil {
			return err
		}
		var rid int64
		if err := tx.QueryRow(ctx, `INSERT INTO party_requirements (party_id, requirement, source, service_id, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, partyID, in.Requirement, in.Source, optID(in.ServiceID), store.TS(s.now())).Scan(&rid); err != nil {
			return store.ScanErr(err)
		}
		if err := bumpParty(ctx, tx, p, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "add_requirement", "interested_party", partyID,
			map[string]any{"requirement_id": rid, "requirement": in.Requirement, "source": in.Source, "service_id": in.ServiceID})
	})
	if err != nil {
		return Party{}, err
	}
	return s.Party(ctx, s.DB, partyID)
}

// RemoveRequirement deletes one of a party's requirements.
func (s *Service) RemoveRequirement(ctx context.Context, actor audit.Actor, partyID, reqID int64, ifVersion int) (Party, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.Party(ctx, tx, partyID)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != p.Version {
			return domainerr.ErrStale
		}
		var text string
		if err := tx.QueryRow(ctx, "SELECT requirement FROM party_requirements WHERE id = ? AND party_id = ?", reqID, partyID).Scan(&text); err != nil {
			return store.ScanErr(err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM party_requirements WHERE id = ?", reqID); err != nil {
			return err
		}
		if err := bumpParty(ctx, tx, p, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "remove_requirement", "interested_party", partyID, map[string]any{"requirement_id": reqID, "requirement": text})
	})
	if err != nil {
		return Party{}, err
	}
	return s.Party(ctx, s.DB, partyID)
}
