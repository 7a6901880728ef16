package sms

import (
	"context"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Issue is one internal or external issue of the organisation's context
// (4.1): what it is, where it comes from, how it bears on the SMS, who
// watches it and when it is next looked at again.
type Issue struct {
	ID              int64     `json:"id"`
	Title           string    `json:"title"`
	Description     string    `json:"description"`
	Origin          string    `json:"origin"`
	Category        string    `json:"category"`
	Effect          string    `json:"effect"`
	ClimateDecision string    `json:"climate_decision"`
	OwnerID         int64     `json:"owner_id,omitempty"`
	OwnerName       string    `json:"owner_name,omitempty"`
	IdentifiedOn    string    `json:"identified_on"`
	ReviewDue       string    `json:"review_due,omitempty"`
	ReviewedOn      string    `json:"reviewed_on,omitempty"`
	Status          string    `json:"status"`
	Overdue         bool      `json:"overdue"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int       `json:"version"`
}

// IssueInput creates an issue or, with nil fields left alone, changes one.
type IssueInput struct {
	Title           *string `json:"title"`
	Description     *string `json:"description"`
	Origin          *string `json:"origin"`
	Category        *string `json:"category"`
	Effect          *string `json:"effect"`
	ClimateDecision *string `json:"climate_decision"`
	OwnerID         *int64  `json:"owner_id"`
	IdentifiedOn    *string `json:"identified_on"`
	ReviewDue       *string `json:"review_due"`
	ReviewedOn      *string `json:"reviewed_on"`
	Status          *string `json:"status"`
}

// Origins and the climate decisions an issue may carry.
var (
	Origins          = []string{"internal", "external"}
	ClimateDecisions = []string{"relevant", "not_relevant"}
	IssueStatuses    = []string{"open", "closed"}
)

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const issueCols = `i.id, i.title, i.description, i.origin, i.category, i.effect, i.climate_decision, i.owner_id, COALESCE(u.name, ''),
	i.identified_on, i.review_due, i.reviewed_on, i.status, i.created_at, i.updated_at, i.version`

const issueFrom = " FROM context_issues i LEFT JOIN users u ON u.id = i.owner_id"

func (s *Service) scanIssue(row interface{ Scan(...any) error }) (Issue, error) {
	var i Issue
	var cr, up store.Time
	err := row.Scan(&i.ID, &i.Title, &i.Description, &i.Origin, &i.Category, &i.Effect, nullStr{&i.ClimateDecision}, nullID{&i.OwnerID},
		&i.OwnerName, &i.IdentifiedOn, nullStr{&i.ReviewDue}, nullStr{&i.ReviewedOn}, &i.Status, &cr, &up, &i.Version)
	if err != nil {
		return i, store.ScanErr(err)
	}
	i.CreatedAt, i.UpdatedAt = cr.Time, up.Time
	i.Overdue = i.Status == "open" && i.ReviewDue != "" && i.ReviewDue < s.Today()
	return i, nil
}

// Issue loads one issue.
func (s *Service) Issue(ctx context.Context, q store.Querier, id int64) (Issue, error) {
	return s.scanIssue(q.QueryRow(ctx, "SELECT "+issueCols+issueFrom+" WHERE i.id = ?", id))
}

// IssueFilter narrows the register: by status ("" for all), those overdue
// for review only, and a page after an id.
type IssueFilter struct {
	Status  string
	Overdue bool
	AfterID int64
	Limit   int
}

// Issues lists the register, oldest first, at most Limit (MaxList) rows.
func (s *Service) Issues(ctx context.Context, f IssueFilter) ([]Issue, error) {
	if f.Limit <= 0 || f.Limit > MaxList {
		f.Limit = MaxList
	}
	where, args := []string{"i.id > ?"}, []any{f.AfterID}
	if f.Status != "" {
		where, args = append(where, "i.status = ?"), append(args, f.Status)
	}
	if f.Overdue {
		where, args = append(where, "i.status = 'open' AND i.review_due < ?"), append(args, s.Today())
	}
	rows, err := s.DB.Query(ctx, "SELECT "+issueCols+issueFrom+" WHERE "+strings.Join(where, " AND ")+" ORDER BY i.id LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Issue{}
	for rows.Next() {
		i, err := s.scanIssue(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

func applyIssue(i *Issue, in IssueInput) {
	set := func(dst *string, p *string) {
		if p != nil {
			*dst = strings.TrimSpace(*p)
		}
	}
	set(&i.Title, in.Title)
	set(&i.Description, in.Description)
	set(&i.Origin, in.Origin)
	set(&i.Category, in.Category)
	set(&i.Effect, in.Effect)
	set(&i.ClimateDecision, in.ClimateDecision)
	set(&i.IdentifiedOn, in.IdentifiedOn)
	set(&i.ReviewDue, in.ReviewDue)
	set(&i.ReviewedOn, in.ReviewedOn)
	set(&i.Status, in.Status)
	if in.OwnerID != nil {
		i.OwnerID = *in.OwnerID
	}
}

// checkIssue names every field at fault: dates in order (review due and
// reviewed on or after the day it was identified, reviewed not in the
// future), codes known, the owner a member of staff.
func (s *Service) checkIssue(ctx context.Context, q store.Querier, i Issue) error {
	v := domainerr.NewInvalid()
	domainerr.Text(v, "title", i.Title, true, domainerr.MaxTitle)
	domainerr.Text(v, "description", i.Description, false, domainerr.MaxText)
	domainerr.Text(v, "category", i.Category, false, domainerr.MaxShort)
	domainerr.Text(v, "effect", i.Effect, false, domainerr.MaxText)
	if !oneOf(i.Origin, Origins) {
		v.Add("origin", "must be internal or external")
	}
	if i.ClimateDecision != "" && !oneOf(i.ClimateDecision, ClimateDecisions) {
		v.Add("climate_decision", "must be relevant, not_relevant or empty")
	}
	if !oneOf(i.Status, IssueStatuses) {
		v.Add("status", "must be open or closed")
	}
	checkDate(v, "identified_on", i.IdentifiedOn, true)
	checkDate(v, "review_due", i.ReviewDue, false)
	checkDate(v, "reviewed_on", i.ReviewedOn, false)
	if validDate(i.IdentifiedOn) {
		if i.IdentifiedOn > s.Today() {
			v.Add("identified_on", "must not be in the future")
		}
		if validDate(i.ReviewDue) && i.ReviewDue < i.IdentifiedOn {
			v.Add("review_due", "must not be before the date the issue was identified")
		}
		if validDate(i.ReviewedOn) && i.ReviewedOn < i.IdentifiedOn {
			v.Add("reviewed_on", "must not be before the date the issue was identified")
		}
	}
	if validDate(i.ReviewedOn) {
		if i.ReviewedOn > s.Today() {
			v.Add("reviewed_on", "must not be in the future")
		}
		if validDate(i.ReviewDue) && i.ReviewDue <= i.ReviewedOn {
			v.Add("review_due", "must be after the last review")
		}
	}
	if i.Status == "open" && i.ReviewDue == "" && !v.Has("review_due") {
		v.Add("review_due", "is required while the issue is open")
	}
	if err := userRef(ctx, q, v, "owner_id", i.OwnerID); err != nil {
		return err
	}
	return v.Err()
}

func issueAudit(i Issue) map[string]any {
	return map[string]any{"title": i.Title, "origin": i.Origin, "category": i.Category, "climate_decision": i.ClimateDecision,
		"owner_id": i.OwnerID, "identified_on": i.IdentifiedOn, "review_due": i.ReviewDue, "reviewed_on": i.ReviewedOn, "status": i.Status}
}

// CreateIssue adds an issue to the register; it starts open, identified
// today unless said otherwise.
func (s *Service) CreateIssue(ctx context.Context, actor audit.Actor, in IssueInput) (Issue, error) {
	i := Issue{Origin: "internal", Status: "open", IdentifiedOn: s.Today()}
	applyIssue(&i, in)
	now := s.now()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := s.checkIssue(ctx, tx, i); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO context_issues (title, description, origin, category, effect, climate_decision, owner_id,
			identified_on, review_due, reviewed_on, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, i.Title, i.Description, i.Origin, i.Category, i.Effect,
			store.OptDate(i.ClimateDecision), optID(i.OwnerID), i.IdentifiedOn, store.OptDate(i.ReviewDue), store.OptDate(i.ReviewedOn), i.Status,
			actor.UserID(), store.TS(now), store.TS(now)).Scan(&i.ID)
		if err != nil {
			return store.ScanErr(err)
		}
		return audit.Record(ctx, tx, actor, "create", "context_issue", i.ID, issueAudit(i))
	})
	if err != nil {
		return Issue{}, err
	}
	return s.Issue(ctx, s.DB, i.ID)
}

// UpdateIssue changes the fields given; ifVersion, when not 0, must be the
// version the caller saw.
func (s *Service) UpdateIssue(ctx context.Context, actor audit.Actor, id int64, in IssueInput, ifVersion int) (Issue, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		i, err := s.Issue(ctx, tx, id)
		if err != nil {
			return err
		}
		if ifVersion != 0 && ifVersion != i.Version {
			return domainerr.ErrStale
		}
		applyIssue(&i, in)
		if err := s.checkIssue(ctx, tx, i); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE context_issues SET title = ?, description = ?, origin = ?, category = ?, effect = ?,
			climate_decision = ?, owner_id = ?, identified_on = ?, review_due = ?, reviewed_on = ?, status = ?, updated_at = ?,
			version = version + 1 WHERE id = ? AND version = ?`, i.Title, i.Description, i.Origin, i.Category, i.Effect,
			store.OptDate(i.ClimateDecision), optID(i.OwnerID), i.IdentifiedOn, store.OptDate(i.ReviewDue), store.OptDate(i.ReviewedOn), i.Status,
			store.TS(s.now()), id, i.Version)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "context_issue", id, issueAudit(i))
	})
	if err != nil {
		return Issue{}, err
	}
	return s.Issue(ctx, s.DB, id)
}

// MarkReviewed records that the issue was looked at again on reviewedOn
// and sets when it is next due.
func (s *Service) MarkReviewed(ctx context.Context, actor audit.Actor, id int64, reviewedOn, nextDue string, ifVersion int) (Issue, error) {
	v := domainerr.NewInvalid()
	checkDate(v, "reviewed_on", reviewedOn, true)
	checkDate(v, "review_due", nextDue, true)
	if err := v.Err(); err != nil {
		return Issue{}, err
	}
	return s.UpdateIssue(ctx, actor, id, IssueInput{ReviewedOn: &reviewedOn, ReviewDue: &nextDue}, ifVersion)
}
