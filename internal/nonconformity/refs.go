package nonconformity

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Link is a record or page a person can open: evidence on a checklist
// line, the source of a nonconformity.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// recordKinds are the record numbers a reference may name, with the table
// that holds them and where they open.
var recordKinds = []struct{ prefix, table, path, what string }{
	{"INC-", "incidents", "/incidents/", "incident"},
	{"REQ-", "requests", "/requests/", "service request"},
	{"CHG-", "changes", "/changes/", "change"},
	{"PRB-", "problems", "/problems/", "problem"},
	{"REL-", "releases", "/releases/", "release"},
	{"NC-", "nonconformities", "/nonconformities/", "nonconformity"},
}

// errNoRecord is a record number with a known prefix that names no record.
type errNoRecord struct{ msg string }

func (e *errNoRecord) Error() string { return e.msg }

// ResolveRecord turns a record number (INC-000123, any case) into a link,
// checking the record exists. ok is false when ref is not a record number
// of a known kind; err names a number whose record does not exist.
func ResolveRecord(ctx context.Context, q store.Querier, ref string) (l Link, ok bool, err error) {
	s := strings.ToUpper(strings.TrimSpace(ref))
	for _, k := range recordKinds {
		if !strings.HasPrefix(s, k.prefix) {
			continue
		}
		id, perr := strconv.ParseInt(strings.TrimLeft(s[len(k.prefix):], "0"), 10, 64)
		if perr != nil || id <= 0 {
			return Link{}, true, &errNoRecord{msg: "is not a record number such as " + k.prefix + "000123"}
		}
		var one int
		err := q.QueryRow(ctx, "SELECT 1 FROM "+k.table+" WHERE id = ?", id).Scan(&one)
		if err = store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
			num := k.prefix + pad(id)
			return Link{}, true, &errNoRecord{msg: "there is no " + k.what + " " + num}
		} else if err != nil {
			return Link{}, true, err
		}
		num := k.prefix + pad(id)
		return Link{Label: num, URL: k.path + num}, true, nil
	}
	return Link{}, false, nil
}

func pad(id int64) string {
	s := strconv.FormatInt(id, 10)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

// ResolveEvidence turns what an auditor typed as evidence, a record
// number or the address of a page of this product (/changes/overview, or
// a full address whose path is one), into a link. The message says what
// is wrong with one that is neither.
func ResolveEvidence(ctx context.Context, q store.Querier, ref string) (Link, error) {
	ref = strings.TrimSpace(ref)
	l, ok, err := ResolveRecord(ctx, q, ref)
	if ok || err != nil {
		var nr *errNoRecord
		if errors.As(err, &nr) {
			return Link{}, errors.New(nr.msg)
		}
		return l, err
	}
	u, perr := url.Parse(ref)
	if perr != nil || ref == "" {
		return Link{}, errors.New("is neither a record number (INC-000123) nor an address in Steward")
	}
	if u.Scheme != "" || u.Host != "" {
		// A full address is kept only for its path: evidence stays within
		// the product.
		if u.Scheme != "http" && u.Scheme != "https" {
			return Link{}, errors.New("is neither a record number (INC-000123) nor an address in Steward")
		}
		u = &url.URL{Path: u.Path, RawQuery: u.RawQuery, Fragment: u.Fragment}
	}
	if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/api/") {
		return Link{}, errors.New("is neither a record number (INC-000123) nor a page of Steward (starting with /)")
	}
	s := u.String()
	return Link{Label: s, URL: s}, nil
}

// DateLayout is how dates without a time are written and stored.
const DateLayout = "2006-01-02"

// CheckDate validates an optional YYYY-MM-DD date under field.
func CheckDate(v *domainerr.Invalid, field, s string, required bool) {
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if _, err := time.Parse(DateLayout, s); err != nil {
		v.Add(field, "must be a date such as 2026-03-31")
	}
}

// Today is the date of now in UTC.
func Today(now time.Time) string { return now.UTC().Format(DateLayout) }

// DaysBetween is the whole days from date a to date b (both YYYY-MM-DD),
// 0 when either does not parse.
func DaysBetween(a, b string) int {
	x, err1 := time.Parse(DateLayout, a)
	y, err2 := time.Parse(DateLayout, b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(y.Sub(x).Hours() / 24)
}

// CheckUser checks that id names an active member of staff, under field.
func CheckUser(ctx context.Context, q store.Querier, v *domainerr.Invalid, field string, id *int64, required bool) error {
	if id == nil || *id == 0 {
		if required {
			v.Add(field, "is required: choose who owns it")
		}
		return nil
	}
	var role string
	var active bool
	err := q.QueryRow(ctx, "SELECT role, active FROM users WHERE id = ?", *id).Scan(&role, &active)
	if err = store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		v.Add(field, "no person with id %d", *id)
		return nil
	} else if err != nil {
		return err
	}
	if !active || role == "requester" {
		v.Add(field, "must be an active member of staff")
	}
	return nil
}

// UserName is a person's name, "" when there is none.
func UserName(ctx context.Context, q store.Querier, id *int64) (string, error) {
	if id == nil {
		return "", nil
	}
	var n string
	err := q.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", *id).Scan(&n)
	if err = store.ScanErr(err); errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return n, err
}
