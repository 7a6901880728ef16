package approval

import (
	"context"
	"errors"
	"time"

	"steward/internal/store"
)

// Cols and From select approvals (aliased ap) with the names of their
// approver, group and decider, for Scan; kinds join their records to them
// for their own lists.
const (
	Cols = `ap.id, ap.record_kind, ap.record_id, ap.approver_id, COALESCE(au.name, ''), ap.group_id, COALESCE(ag.name, ''),
	ap.state, ap.comment, ap.decided_by, COALESCE(NULLIF(ap.decided_by_name, ''), ad.name, ''), ap.created_at, ap.decided_at,
	ap.round, ap.superseded_at`
	From = ` FROM approvals ap
	LEFT JOIN users au ON au.id = ap.approver_id
	LEFT JOIN support_groups ag ON ag.id = ap.group_id
	LEFT JOIN users ad ON ad.id = ap.decided_by`
)

// Scan reads one row of Cols, then extra.
func Scan(row interface{ Scan(...any) error }, extra ...any) (Approval, error) {
	var a Approval
	var created, decided, superseded store.Time
	dest := append([]any{&a.ID, &a.RecordKind, &a.RecordID, &a.ApproverID, &a.ApproverName, &a.GroupID, &a.GroupName,
		&a.State, &a.Comment, &a.DecidedBy, &a.DecidedByName, &created, &decided, &a.Round, &superseded}, extra...)
	if err := row.Scan(dest...); err != nil {
		return a, store.ScanErr(err)
	}
	a.CreatedAt = created.Time
	if !decided.IsZero() {
		t := decided.Time
		a.DecidedAt = &t
	}
	if !superseded.IsZero() {
		t := superseded.Time
		a.SupersededAt = &t
	}
	return a, nil
}

// Current is the condition (on ap) that an approval belongs to its
// record's current round, the only one whose decisions count.
const Current = "ap.superseded_at IS NULL"

// Of lists the approvals of record id's current round, oldest first.
func (k *Kind) Of(ctx context.Context, q store.Querier, id int64) ([]Approval, error) {
	return list(ctx, q, "SELECT "+Cols+From+" WHERE ap.record_kind = ? AND ap.record_id = ? AND "+Current+" ORDER BY ap.id LIMIT 1000", k.Name, id)
}

// History lists every approval of record id, the superseded rounds' too,
// by round and then oldest first.
func (k *Kind) History(ctx context.Context, q store.Querier, id int64) ([]Approval, error) {
	return list(ctx, q, "SELECT "+Cols+From+" WHERE ap.record_kind = ? AND ap.record_id = ? ORDER BY ap.round, ap.id LIMIT 1000", k.Name, id)
}

// list reads the approvals a query selects.
func list(ctx context.Context, q store.Querier, sql string, args ...any) ([]Approval, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Approval{}
	for rows.Next() {
		a, err := Scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Get reads approval id of record recordID; store.ErrNotFound when the
// record has no such approval.
func (k *Kind) Get(ctx context.Context, q store.Querier, recordID, id int64) (Approval, error) {
	return Scan(q.QueryRow(ctx, "SELECT "+Cols+From+" WHERE ap.id = ? AND ap.record_kind = ? AND ap.record_id = ?", id, k.Name, recordID))
}

// insert writes one approval as given, in round 1 unless it names one.
func (k *Kind) insert(ctx context.Context, tx *store.Tx, recordID int64, a Approval) error {
	if a.Round < 1 {
		a.Round = 1
	}
	_, err := tx.Exec(ctx, `INSERT INTO approvals (record_kind, record_id, approver_id, group_id, state, comment,
		decided_by, decided_by_name, created_at, decided_at, round, superseded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.Name, recordID, a.ApproverID, a.GroupID, string(a.State), a.Comment, a.DecidedBy, a.DecidedByName,
		store.TS(a.CreatedAt), store.OptTS(a.DecidedAt), a.Round, store.OptTS(a.SupersededAt))
	return err
}

// nextRound is the round the record's next approvals open: one after the
// last, 1 for a record never put to its approvers.
func (k *Kind) nextRound(ctx context.Context, q store.Querier, id int64) (int, error) {
	var last int
	err := q.QueryRow(ctx, "SELECT COALESCE(MAX(round), 0) FROM approvals WHERE record_kind = ? AND record_id = ?", k.Name, id).Scan(&last)
	return last + 1, store.ScanErr(err)
}

// Import writes approvals of record id as given, decided or not, in the
// rounds they name (1 when none) and superseded when they say so, for
// demo data and history moved in from another tool.
func (k *Kind) Import(ctx context.Context, tx *store.Tx, id int64, as []Approval) error {
	for _, a := range as {
		if a.State == "" {
			a.State = Pending
		}
		if err := k.insert(ctx, tx, id, a); err != nil {
			return err
		}
	}
	return nil
}

// Withdraw marks the approvals of record id that nobody decided as no
// longer needed.
func (k *Kind) Withdraw(ctx context.Context, tx *store.Tx, id int64) error {
	_, err := tx.Exec(ctx, "UPDATE approvals SET state = 'cancelled' WHERE record_kind = ? AND record_id = ? AND state = 'pending'", k.Name, id)
	return err
}

// Supersede closes record id's current round at, before it is put to its
// approvers again: its approvals stay, with their decisions, as history
// that no longer counts, and those nobody decided are withdrawn.
func (k *Kind) Supersede(ctx context.Context, tx *store.Tx, id int64, at time.Time) error {
	if err := k.Withdraw(ctx, tx, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "UPDATE approvals SET superseded_at = ? WHERE record_kind = ? AND record_id = ? AND superseded_at IS NULL",
		store.TS(at), k.Name, id)
	return err
}

// waiting is the condition that approval ap waits for a user's decision:
// addressed to them, or to a group of theirs with nobody named.
const waiting = `ap.record_kind = ? AND ap.state = 'pending' AND ap.superseded_at IS NULL
	AND (ap.approver_id = ? OR (ap.approver_id IS NULL AND ap.group_id IN (SELECT group_id FROM group_members WHERE user_id = ?)))`

// WaitingClause is the condition (on ap, with its arguments) that an
// approval of this kind waits for userID, for kinds that join their
// records to the approvals they list.
func (k *Kind) WaitingClause(userID int64) (string, []any) {
	return waiting, []any{k.Name, userID, userID}
}

// Waiting lists the approvals of this kind that wait for userID, oldest
// first, at most limit.
func (k *Kind) Waiting(ctx context.Context, q store.Querier, userID int64, limit int) ([]Approval, error) {
	return list(ctx, q, "SELECT "+Cols+From+" WHERE "+waiting+" ORDER BY ap.id LIMIT ?", k.Name, userID, userID, limit)
}

// Asks reports whether record id has an approval for userID to decide,
// decided or not, in any round: its approvers see what they decide and
// decided on.
func (k *Kind) Asks(ctx context.Context, q store.Querier, id, userID int64) (bool, error) {
	var one int
	err := store.ScanErr(q.QueryRow(ctx, `SELECT 1 FROM approvals WHERE record_kind = ? AND record_id = ? AND (approver_id = ?
		OR (approver_id IS NULL AND group_id IN (SELECT group_id FROM group_members WHERE user_id = ?))) LIMIT 1`,
		k.Name, id, userID, userID).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// member reports whether userID belongs to group groupID.
func member(ctx context.Context, q store.Querier, groupID, userID int64) (bool, error) {
	var one int
	err := store.ScanErr(q.QueryRow(ctx, "SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?", groupID, userID).Scan(&one))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
