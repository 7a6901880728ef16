package cmdb

import (
	"context"

	"steward/internal/store"
)

// HistoryEntry is one change of a CI as an auditor reads it: the Change
// and, for relate and unrelate, the name of the CI at the other end (null
// when it has been deleted since).
type HistoryEntry struct {
	Change
	RelatedName *string `json:"related_name"`
}

// MaxHistory caps one page of history.
const MaxHistory = 200

// History returns up to limit changes of CI ciID, newest first, with seq
// below before (0 for the newest). Relationships appear in the history of
// their source CI. The history outlives the CI: a deleted CI's history is
// still there; a CI that never existed is store.ErrNotFound.
func (s *Service) History(ctx context.Context, ciID, before int64, limit int) ([]HistoryEntry, error) {
	if limit <= 0 || limit > MaxHistory+1 {
		limit = MaxHistory
	}
	q := `SELECT h.seq, h.ci_id, h.at, h.actor_id, h.actor_name, h.action, h.field, h.old_value, h.new_value,
		h.change_ref, h.related_id, h.rel_type, o.name
		FROM ci_history h LEFT JOIN cis o ON o.id = h.related_id WHERE h.ci_id = ?`
	args := []any{ciID}
	if before > 0 {
		q += " AND h.seq < ?"
		args = append(args, before)
	}
	rows, err := s.DB.Query(ctx, q+" ORDER BY h.seq DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var e HistoryEntry
		var at store.Time
		if err := rows.Scan(&e.Seq, &e.CIID, &at, &e.ActorID, &e.ActorName, &e.Action, &e.Field, &e.Old, &e.New,
			&e.ChangeRef, &e.RelatedID, &e.RelType, &e.RelatedName); err != nil {
			return nil, err
		}
		e.At = at.Time
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 && before == 0 {
		var one int
		if err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT 1 FROM cis WHERE id = ?", ciID).Scan(&one)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
