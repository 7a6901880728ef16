package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
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
var EventKinds = []string{RecordCreated, RecordChanged, RecordCommented, ApprovalDecided, SLAWarning, SLABreach}

// Observer writes a record.created or record.changed entry for every
// ticket write, in its transaction, and tells an agent who was given a
// ticket by someone else. It is one of the ticket observers of a node.
type Observer struct{}

// Change is one field's move in a record.changed entry.
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
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
		data["changes"] = changes
		e.Kind, e.Summary = RecordChanged, cut("Changed: "+changeList(changes))
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

func changeList(c map[string]Change) string {
	order := []string{"state", "priority", "assignee_id", "group_id", "hold_reason", "title", "category", "customer_id", "service_id", "major"}
	s := ""
	for _, f := range order {
		ch, ok := c[f]
		if !ok {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s %q → %q", f, ch.Old, ch.New)
	}
	return s
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
