package sms

import (
	"context"
	"errors"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Service keeps the management system's records. Now, when set, is the
// clock (tests fix it); dates without a time are read in UTC.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

// NewService builds the service on a database.
func NewService(db *store.DB) *Service { return &Service{DB: db} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Today is the current date, YYYY-MM-DD.
func (s *Service) Today() string { return s.now().Format(DateLayout) }

// DateLayout is how dates without a time are written: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// MaxList bounds every list the management system answers with.
const MaxList = 200

// checkDate validates an optional date: "" is none, anything else must
// be a real calendar date.
func checkDate(v *domainerr.Invalid, field, s string, required bool) {
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if _, err := time.Parse(DateLayout, s); err != nil {
		v.Add(field, "must be a date such as 2027-03-31")
	}
}

// validDate reports whether s is a date.
func validDate(s string) bool {
	_, err := time.Parse(DateLayout, s)
	return err == nil
}

// optDate is a date column's value: NULL when empty.

// AddMonths moves a date by n months, for proposing the next review.
func AddMonths(date string, n int) string {
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return ""
	}
	return t.AddDate(0, n, 0).Format(DateLayout)
}

// nullStr reads a nullable text column.
type nullStr struct{ s *string }

func (n nullStr) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = v
	case []byte:
		*n.s = string(v)
	case time.Time:
		*n.s = v.Format(DateLayout)
	default:
		return errors.New("sms: cannot read text")
	}
	return nil
}

// userRef checks that id names an active member of staff (not a
// requester): people who own issues and processes and hold roles.
func userRef(ctx context.Context, q store.Querier, v *domainerr.Invalid, field string, id int64) error {
	if id == 0 {
		return nil
	}
	if id < 0 {
		v.Add(field, "must be a person's id")
		return nil
	}
	var role string
	var active bool
	err := store.ScanErr(q.QueryRow(ctx, "SELECT role, active FROM users WHERE id = ?", id).Scan(&role, &active))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add(field, "no person with id %d", id)
	case err != nil:
		return err
	case !active:
		v.Add(field, "this person's account is deactivated")
	case role == "requester":
		v.Add(field, "must be a member of staff, not a requester")
	}
	return nil
}

// exists checks that id names a row of table; the message names what.
func exists(ctx context.Context, q store.Querier, v *domainerr.Invalid, field, table, what string, id int64) error {
	if id == 0 {
		return nil
	}
	if id < 0 {
		v.Add(field, "must be a %s's id", what)
		return nil
	}
	var n int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&n))
	if errors.Is(err, store.ErrNotFound) {
		v.Add(field, "no %s with id %d", what, id)
		return nil
	}
	return err
}

// actorUser is the user behind an actor, for created_by columns.

// optID is a nullable id column's value.
func optID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullID scans a nullable id into 0 for NULL.
type nullID struct{ p *int64 }

func (n nullID) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n.p = 0
	case int64:
		*n.p = v
	case int32:
		*n.p = int64(v)
	case int:
		*n.p = int64(v)
	default:
		return errors.New("sms: cannot read id")
	}
	return nil
}
