package cmdb

import (
	"context"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// RelType is a relationship's type.
type RelType string

const (
	DependsOn   RelType = "depends_on"   // A depends_on B: B failing impacts A
	UsedBy      RelType = "used_by"      // A used_by B: A failing impacts B
	RunsOn      RelType = "runs_on"      // A runs_on B: B failing impacts A
	Hosts       RelType = "hosts"        // A hosts B: A failing impacts B
	ConnectedTo RelType = "connected_to" // no propagation
	MemberOf    RelType = "member_of"    // A member_of C: C is a cluster or pool of members
)

// RelTypes lists every relationship type.
var RelTypes = []RelType{DependsOn, UsedBy, RunsOn, Hosts, ConnectedTo, MemberOf}

// Valid reports whether t is a known relationship type.
func (t RelType) Valid() bool {
	for _, x := range RelTypes {
		if x == t {
			return true
		}
	}
	return false
}

// Impact says which way failure travels along a relationship from source
// to target: provider is the CI whose failure impacts consumer. ok is
// false for relationships that do not propagate (connected_to). member is
// true for member_of, whose consumer (the cluster) weighs its members by
// its redundancy rule.
func Impact(source, target int64, t RelType) (provider, consumer int64, member, ok bool) {
	switch t {
	case DependsOn, RunsOn:
		return target, source, false, true
	case UsedBy, Hosts:
		return source, target, false, true
	case MemberOf:
		return source, target, true, true
	}
	return 0, 0, false, false
}

// Relationship is a typed link between two CIs.
type Relationship struct {
	ID        int64     `json:"id"`
	SourceID  int64     `json:"source_id"`
	TargetID  int64     `json:"target_id"`
	Type      RelType   `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

// History actions.
const (
	ActionCreate   = "create"
	ActionUpdate   = "update"
	ActionDelete   = "delete"
	ActionRelate   = "relate"
	ActionUnrelate = "unrelate"
)

// Change is one entry of a CI's history. Field is the changed field
// ("status", "name", "attributes.serial", "redundancy", ...) for updates;
// RelatedID and RelType describe a relate or unrelate, recorded on the
// source CI. ChangeRef names the change record that authorised it.
type Change struct {
	Seq       int64     `json:"seq"`
	CIID      int64     `json:"ci_id"`
	At        time.Time `json:"at"`
	ActorID   *int64    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Field     string    `json:"field"`
	Old       *string   `json:"old"`
	New       *string   `json:"new"`
	ChangeRef string    `json:"change_ref"`
	RelatedID *int64    `json:"related_id"`
	RelType   RelType   `json:"rel_type"`
}

// RecordChange appends a history entry inside tx. Every write to a CI or
// a relationship must record its changes here in the same transaction:
// besides being the audit trail an auditor reads for 8.2.6, the history is
// what every node replays to keep its impact graph current.
func RecordChange(ctx context.Context, tx *store.Tx, actor audit.Actor, c Change) error {
	var actorID any
	if actor.ID != 0 {
		actorID = actor.ID
	}
	var related any
	if c.RelatedID != nil {
		related = *c.RelatedID
	}
	at := c.At
	if at.IsZero() {
		at = time.Now()
	}
	if err := LockHistory(ctx, tx); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO ci_history (ci_id, at, actor_id, actor_name, action, field, old_value,
		new_value, change_ref, related_id, rel_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.CIID, store.TS(at), actorID, actor.Name, c.Action, c.Field, c.Old, c.New, c.ChangeRef, related, string(c.RelType))
	return err
}

// LockHistory must be taken by every transaction that appends to
// ci_history before it does (RecordChange does it). On PostgreSQL it
// serialises history writers until commit, so that history entries become
// visible in the order of their sequence numbers and no node replaying the
// history can skip one that commits late. SQLite has one writer anyway.
func LockHistory(ctx context.Context, tx *store.Tx) error {
	if tx.Dialect() != store.Postgres {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7702006)`)
	return err
}
