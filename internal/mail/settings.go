package mail

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Category groups the notifications a person may switch off together.
type Category struct {
	Code string
	// Staff is true for categories only staff are ever sent (assignments,
	// mentions, service levels, tasks); the settings page shows them to
	// staff alone.
	Staff bool
}

// Categories are the categories of mail, in the order the settings page
// lists them. Each is on until its person switches it off.
var Categories = []Category{
	{Code: "received"},
	{Code: "comments"},
	{Code: "resolution"},
	{Code: "waiting"},
	{Code: "decisions"},
	{Code: "fulfilment"},
	{Code: "reopened", Staff: true},
	{Code: "approvals"},
	{Code: "assigned", Staff: true},
	{Code: "mentioned", Staff: true},
	{Code: "sla", Staff: true},
	{Code: "tasks", Staff: true},
	{Code: "account"},
	{Code: "other"},
}

// CategoryOf is the category of a notification kind; kinds added later
// than this list fall in "other".
func CategoryOf(kind string) string {
	switch kind {
	case "incident_received", "request_received":
		return "received"
	case "incident_comment", "request_comment":
		return "comments"
	case "incident_resolved":
		return "resolution"
	case "incident_awaiting_you":
		return "waiting"
	case "request_approved", "request_rejected", "request_declined", "change_approved", "change_rejected":
		return "decisions"
	case "request_fulfilled":
		return "fulfilment"
	case "incident_reopened", "incident_withdrawn", "request_reopened":
		return "reopened"
	case "approval_requested", "change_approval_requested":
		return "approvals"
	case "assigned":
		return "assigned"
	case "mentioned":
		return "mentioned"
	case "sla.warning", "sla.breach":
		return "sla"
	case "task_open":
		return "tasks"
	case "signin_throttled":
		return "account"
	}
	return "other"
}

func knownCategory(code string) bool {
	return slices.ContainsFunc(Categories, func(c Category) bool { return c.Code == code })
}

// Settings are one person's choices about mail.
type Settings struct {
	// Digest gathers the person's notifications into one message a
	// period instead of one message each.
	Digest bool `json:"digest"`
	// Off lists the categories switched off, in Categories' order.
	Off []string `json:"off"`
}

// On reports whether category code is mailed.
func (st Settings) On(code string) bool { return !slices.Contains(st.Off, code) }

func parseOff(s string) []string {
	out := []string{}
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// SettingsOf reads a person's settings; none chosen is every category on,
// each mailed at once.
func SettingsOf(ctx context.Context, q store.Querier, userID int64) (Settings, error) {
	var st Settings
	var off string
	err := store.ScanErr(q.QueryRow(ctx, "SELECT digest, off FROM mail_settings WHERE user_id = ?", userID).Scan(&st.Digest, &off))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	st.Off = parseOff(off)
	return st, nil
}

// SaveSettings stores a person's own settings, audited. An unknown
// category is refused with the field "off".
func SaveSettings(ctx context.Context, db *store.DB, actor audit.Actor, userID int64, st Settings) (Settings, error) {
	var off []string
	for _, c := range Categories {
		if slices.Contains(st.Off, c.Code) {
			off = append(off, c.Code)
		}
	}
	for _, c := range st.Off {
		if !knownCategory(c) {
			return st, domainerr.Field("off", "%q is not a category of e-mail; choose among those listed", c)
		}
	}
	st.Off = off
	if st.Off == nil {
		st.Off = []string{}
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		old, err := SettingsOf(ctx, tx, userID)
		if err != nil {
			return err
		}
		if old.Digest == st.Digest && slices.Equal(old.Off, st.Off) {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mail_settings (user_id, digest, off, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, off = excluded.off, updated_at = excluded.updated_at`,
			userID, st.Digest, strings.Join(st.Off, ","), store.TS(time.Now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "mail_settings", userID, map[string]any{
			"digest": [2]bool{old.Digest, st.Digest}, "off": [2][]string{old.Off, st.Off}})
	})
	return st, err
}

// CategoriesFor are the categories a person of role sees on the settings
// page.
func CategoriesFor(role auth.Role) []Category {
	staff := role != auth.Requester
	var out []Category
	for _, c := range Categories {
		if !c.Staff || staff {
			out = append(out, c)
		}
	}
	return out
}
