package activity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"steward/internal/httpx"
	"steward/internal/notify"
	"steward/internal/store"
	"steward/internal/ticket"
)

// Kinds of entries written for every ticket kind; the feed's readers
// (GET /api/v1/activity, outbound webhooks) subscribe to these names.
const (
	RecordCreated    = "record.created"
	RecordChanged    = "record.changed"
	RecordCommented  = "record.commented"
	ApprovalDecided  = "approval.decided"
	SLAWarning       = "sla.warning"
	SLABreach        = "sla.breach"
	KindAssigned     = "assigned" // the notification to a newly assigned agent
	KindMentioned    = "mentioned"
	maxSummaryLength = 300
)

// EventKinds are the entry kinds a subscriber may choose from.
var EventKinds = []string{RecordCreated, RecordChanged, RecordCommented, ApprovalDecided, SLAWarning, SLABreach,
	ProblemCreated, ProblemChanged, ChangeCreated, ChangeChanged, ReleaseCreated, ReleaseChanged}

// Observer writes a record.created or record.changed entry for every
// ticket write, in its transaction, and tells an agent who was given a
// ticket by someone else. It is one of the ticket observers of a node.
type Observer struct{}

// Change is one field's move in a record.changed entry: the values as
// stored (codes, ids) for programs, and as people read them (labels,
// names) for a chat message.
type Change struct {
	Old      string `json:"old"`
	New      string `json:"new"`
	OldLabel string `json:"old_label"`
	NewLabel string `json:"new_label"`
}

// TicketChanged implements ticket.Observer.
func (Observer) TicketChanged(ctx context.Context, tx *store.Tx, at time.Time, before, after *ticket.Snapshot) error {
	if after == nil {
		return nil
	}
	link := ""
	if m, ok := ticket.Measured(after.Kind); ok {
		link = m.Path + after.Number
	}
	data := map[string]any{"number": after.Number, "title": after.Title, "state": after.State,
		"priority": after.Priority, "link": link}
	e := Entry{At: at, Entity: string(after.Kind), EntityID: after.ID, Ref: after.Number}
	if before == nil {
		e.Kind, e.Summary = RecordCreated, cut("Created: "+after.Title)
	} else {
		changes := diff(before, after)
		if len(changes) == 0 {
			return tellAssignee(ctx, tx, before, after, link)
		}
		if err := label(ctx, tx, changes); err != nil {
			return err
		}
		data["changes"] = changes
		e.Kind, e.Summary = RecordChanged, cut(after.Number+": "+changeList(changes))
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	e.Data = raw
	if err := Record(ctx, tx, e); err != nil {
		return err
	}
	return tellAssignee(ctx, tx, before, after, link)
}

// tellAssignee notifies the agent a ticket was just given to, unless they
// took it themselves.
func tellAssignee(ctx context.Context, tx *store.Tx, before, after *ticket.Snapshot, link string) error {
	if after.AssigneeID == 0 || (before != nil && before.AssigneeID == after.AssigneeID) {
		return nil
	}
	if p := httpx.PrincipalOf(ctx); p != nil && p.UserID == after.AssigneeID {
		return nil
	}
	return notify.AddWith(ctx, tx, []int64{after.AssigneeID}, KindAssigned, "Assigned to you: "+after.Number+" "+after.Title,
		"Priority "+after.Priority+".", link, map[string]string{"number": after.Number, "title": after.Title,
			"priority": after.Priority})
}

// diff lists the fields people see that moved between two snapshots;
// response and reopen counters are not changes of their own.
func diff(b, a *ticket.Snapshot) map[string]Change {
	out := map[string]Change{}
	add := func(field, old, new string) {
		if old != new {
			out[field] = Change{Old: old, New: new}
		}
	}
	id := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	add("title", b.Title, a.Title)
	add("state", b.State, a.State)
	add("priority", b.Priority, a.Priority)
	add("hold_reason", b.HoldReason, a.HoldReason)
	add("category", b.Category, a.Category)
	add("customer_id", id(b.CustomerID), id(a.CustomerID))
	add("service_id", id(b.ServiceID), id(a.ServiceID))
	add("group_id", id(b.GroupID), id(a.GroupID))
	add("assignee_id", id(b.AssigneeID), id(a.AssigneeID))
	add("major", strconv.FormatBool(b.Major), strconv.FormatBool(a.Major))
	return out
}

// fieldNames are the changed fields as people call them, in the order a
// summary lists them.
var fieldNames = []struct{ key, name string }{
	{"state", "State"}, {"priority", "Priority"}, {"assignee_id", "Assignee"}, {"group_id", "Group"},
	{"hold_reason", "Hold reason"}, {"title", "Title"}, {"category", "Category"}, {"customer_id", "Customer"},
	{"service_id", "Service"}, {"major", "Major incident"},
}

// nameOf says which table names an id field's records.
var nameOf = map[string]string{
	"assignee_id": "SELECT name FROM users WHERE id = ?",
	"group_id":    "SELECT name FROM support_groups WHERE id = ?",
	"customer_id": "SELECT name FROM customers WHERE id = ?",
	"service_id":  "SELECT name FROM services WHERE id = ?",
}

// label fills in how people read each change: names for ids, words for
// codes ("in_progress" is "In progress"), "none" for nothing.
func label(ctx context.Context, tx *store.Tx, changes map[string]Change) error {
	for field, ch := range changes {
		read := func(v string) (string, error) {
			if v == "" {
				return "none", nil
			}
			if q, ok := nameOf[field]; ok {
				var name string
				err := tx.QueryRow(ctx, q, v).Scan(&name)
				if errors.Is(store.ScanErr(err), store.ErrNotFound) {
					return "#" + v, nil
				}
				return name, err
			}
			switch field {
			case "title", "category":
				return v, nil
			case "major":
				if v == "true" {
					return "yes", nil
				}
				return "no", nil
			}
			return words(v), nil
		}
		var err error
		if ch.OldLabel, err = read(ch.Old); err != nil {
			return err
		}
		if ch.NewLabel, err = read(ch.New); err != nil {
			return err
		}
		changes[field] = ch
	}
	return nil
}

// words turns a code into words: "awaiting_requester" is "Awaiting requester".
func words(code string) string {
	s := strings.ReplaceAll(code, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func changeList(c map[string]Change) string {
	var parts []string
	for _, f := range fieldNames {
		if ch, ok := c[f.key]; ok {
			parts = append(parts, fmt.Sprintf("%s %s → %s", f.name, ch.OldLabel, ch.NewLabel))
		}
	}
	return strings.Join(parts, ", ")
}

func cut(s string) string {
	if r := []rune(s); len(r) > maxSummaryLength {
		return string(r[:maxSummaryLength-1]) + "…"
	}
	return s
}

// Commented appends a record.commented entry for a comment or work note
// on a ticket, inside the comment's transaction.
func Commented(ctx context.Context, tx *store.Tx, at time.Time, entity string, id int64, number, author string, authorID *int64, entryID int64, public bool, body string) error {
	raw, err := json.Marshal(map[string]any{"number": number, "author": author, "author_id": authorID,
		"entry_id": entryID, "public": public, "body": body})
	if err != nil {
		return err
	}
	what := "Work note"
	if public {
		what = "Comment"
	}
	return Record(ctx, tx, Entry{At: at, Kind: RecordCommented, Entity: entity, EntityID: id, Ref: number,
		Summary: cut(what + " by " + author), Data: raw})
}

// Decided appends an approval.decided entry inside the decision's
// transaction.
func Decided(ctx context.Context, tx *store.Tx, at time.Time, entity string, id int64, number, approver, decision, comment string) error {
	raw, err := json.Marshal(map[string]any{"number": number, "approver": approver, "decision": decision, "comment": comment})
	if err != nil {
		return err
	}
	return Record(ctx, tx, Entry{At: at, Kind: ApprovalDecided, Entity: entity, EntityID: id, Ref: number,
		Summary: cut("Approval " + decision + " by " + approver), Data: raw})
}
