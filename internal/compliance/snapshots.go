package compliance

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"steward/internal/audit"
	"steward/internal/store"
)

// Snapshot is an evaluation as it was kept: its body exactly as stored,
// the SHA-256 of that body, and the audit trail's head when it was taken,
// which ties the evidence to the chain of every change before it.
type Snapshot struct {
	ID        int64          `json:"id"`
	Standard  string         `json:"standard"`
	TakenAt   time.Time      `json:"taken_at"`
	TakenBy   *int64         `json:"taken_by,omitempty"`
	Origin    string         `json:"origin"`
	Score     float64        `json:"score"`
	Counts    map[Status]int `json:"counts"`
	SHA256    string         `json:"sha256"`
	ChainHead string         `json:"chain_head"`
	// Body is the stored evaluation, byte for byte; Evaluation is it read.
	Body       json.RawMessage `json:"-"`
	Evaluation *Evaluation     `json:"evaluation,omitempty"`
}

// Origins of a snapshot.
const (
	OriginManual   = "manual"
	OriginSchedule = "schedule"
)

// Save keeps an evaluation as a snapshot, recording who took it (nil for
// the schedule) in the audit trail in the same transaction.
func Save(ctx context.Context, db *store.DB, ev Evaluation, actor audit.Actor, origin string) (Snapshot, error) {
	for i := range ev.Clauses {
		ev.Clauses[i].SelfAssessment = nil
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return Snapshot{}, err
	}
	counts, err := json.Marshal(ev.Counts)
	if err != nil {
		return Snapshot{}, err
	}
	sum := sha256.Sum256(body)
	snap := Snapshot{Standard: ev.Standard, TakenAt: ev.At, Origin: origin, Score: ev.Score, Counts: ev.Counts,
		SHA256: hex.EncodeToString(sum[:]), Body: body, Evaluation: &ev}
	if actor.Type == "user" || actor.Type == "token" {
		id := actor.ID
		snap.TakenBy = &id
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		seq, hash, err := audit.Head(ctx, tx)
		if err != nil {
			return err
		}
		snap.ChainHead = fmt.Sprintf("%d:%s", seq, hash)
		if err := tx.QueryRow(ctx, `INSERT INTO compliance_snapshots (standard, taken_at, taken_by, origin, score, counts, body, sha256, chain_head)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			snap.Standard, store.TS(snap.TakenAt), snap.TakenBy, origin, snap.Score, string(counts), string(body), snap.SHA256, snap.ChainHead).Scan(&snap.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "compliance_snapshot", snap.ID, map[string]any{
			"standard": snap.Standard, "score": snap.Score, "sha256": snap.SHA256, "chain_head": snap.ChainHead})
	})
	return snap, err
}

const snapshotCols = "id, standard, taken_at, taken_by, origin, score, counts, sha256, chain_head"

func scanSnapshot(row interface{ Scan(...any) error }, body *string) (Snapshot, error) {
	var s Snapshot
	var at store.Time
	var by *int64
	var counts string
	dest := []any{&s.ID, &s.Standard, &at, &by, &s.Origin, &s.Score, &counts, &s.SHA256, &s.ChainHead}
	if body != nil {
		dest = append(dest, body)
	}
	if err := row.Scan(dest...); err != nil {
		return s, store.ScanErr(err)
	}
	s.TakenAt, s.TakenBy = at.Time, by
	s.Counts = map[Status]int{}
	if err := json.Unmarshal([]byte(counts), &s.Counts); err != nil {
		return s, err
	}
	return s, nil
}

// Snapshots lists a standard's snapshots, newest first, without their
// bodies; before, when not zero, lists those taken before it.
func Snapshots(ctx context.Context, q store.Querier, standard string, before time.Time, limit int) ([]Snapshot, error) {
	if before.IsZero() {
		before = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := q.Query(ctx, "SELECT "+snapshotCols+` FROM compliance_snapshots
		WHERE standard = ? AND taken_at < ? ORDER BY taken_at DESC, id DESC LIMIT ?`, standard, store.TS(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Snapshot{}
	for rows.Next() {
		s, err := scanSnapshot(rows, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// GetSnapshot loads one snapshot with its evaluation.
func GetSnapshot(ctx context.Context, q store.Querier, id int64) (Snapshot, error) {
	return loadSnapshot(ctx, q, "id = ?", id)
}

// Latest loads a standard's newest snapshot with its evaluation;
// store.ErrNotFound when none was taken.
func Latest(ctx context.Context, q store.Querier, standard string) (Snapshot, error) {
	return loadSnapshot(ctx, q, "standard = ? ORDER BY taken_at DESC, id DESC LIMIT 1", standard)
}

func loadSnapshot(ctx context.Context, q store.Querier, where string, arg any) (Snapshot, error) {
	var body string
	s, err := scanSnapshot(q.QueryRow(ctx, "SELECT "+snapshotCols+", body FROM compliance_snapshots WHERE "+where, arg), &body)
	if err != nil {
		return s, err
	}
	s.Body = json.RawMessage(body)
	var ev Evaluation
	if err := json.Unmarshal(s.Body, &ev); err != nil {
		return s, fmt.Errorf("snapshot %d: %w", s.ID, err)
	}
	s.Evaluation = &ev
	return s, nil
}

// Assessments loads the self-assessments of a standard's clauses by clause.
func Assessments(ctx context.Context, q store.Querier, standard string) (map[string]Assessment, error) {
	rows, err := q.Query(ctx, `SELECT a.clause, a.rating, a.comment, a.evidence, a.assessed_by, COALESCE(u.name, ''), a.assessed_at
		FROM compliance_assessments a LEFT JOIN users u ON u.id = a.assessed_by WHERE a.standard = ?`, standard)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Assessment{}
	for rows.Next() {
		var clause, evidence string
		var a Assessment
		var by *int64
		var at store.Time
		if err := rows.Scan(&clause, &a.Rating, &a.Comment, &evidence, &by, &a.ByName, &at); err != nil {
			return nil, err
		}
		if by != nil {
			a.AssessedBy = *by
		}
		a.AssessedAt = at.Time
		a.Evidence = []Link{}
		if err := json.Unmarshal([]byte(evidence), &a.Evidence); err != nil {
			return nil, fmt.Errorf("assessment of %s: %w", clause, err)
		}
		out[clause] = a
	}
	return out, rows.Err()
}

// Attach puts the self-assessments beside the clauses they rate.
func (e *Evaluation) Attach(as map[string]Assessment) {
	for i := range e.Clauses {
		if a, ok := as[e.Clauses[i].Clause]; ok {
			e.Clauses[i].SelfAssessment = &a
		} else {
			e.Clauses[i].SelfAssessment = nil
		}
	}
}
