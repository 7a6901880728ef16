package auth

import (
	"context"
	"errors"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// CheckWorker checks that id, when given, names an active agent or
// administrator: the people work is assigned to and who answer for a
// record they own. A requester or an auditor is refused at field, so
// that the API refuses whom the pages' person fields refuse.
func CheckWorker(ctx context.Context, q store.Querier, v *domainerr.Invalid, field string, id *int64) error {
	if id == nil {
		return nil
	}
	var role string
	var active bool
	err := store.ScanErr(q.QueryRow(ctx, "SELECT role, active FROM users WHERE id = ?", *id).Scan(&role, &active))
	switch {
	case errors.Is(err, store.ErrNotFound):
		v.Add(field, "user %d does not exist", *id)
	case err != nil:
		return err
	case !active:
		v.Add(field, "user %d is disabled", *id)
	default:
		RefuseNonWorker(v, field, *id, Role(role))
	}
	return nil
}

// RefuseNonWorker adds to v, at field, that user id may not hold work
// when role is neither agent nor administrator. For a kind that reads the
// user's row itself (for the name it journals) and checks it as
// CheckWorker does.
func RefuseNonWorker(v *domainerr.Invalid, field string, id int64, role Role) {
	if role != Agent && role != Admin {
		v.Add(field, "user %d is %s; only an agent or an administrator may hold this role", id, roleWithArticle(role))
	}
}

// roleWithArticle is r as a sentence names one holder of it.
func roleWithArticle(r Role) string {
	if r == Auditor || r == Admin || r == Agent {
		return "an " + string(r)
	}
	return "a " + string(r)
}
