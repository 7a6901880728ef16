package incident

import (
	"context"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// RetitleInTx replaces the title an open incident was given by event
// management, as it counts the devices of a storm, with title. The first
// paragraph of the description follows when it repeats the title. It
// changes nothing and reports false when the title is no longer old
// (someone changed it) or the incident is not open. The version stays:
// an edit in progress is not refused for it.
func (s *Service) RetitleInTx(ctx context.Context, tx *store.Tx, id int64, old, title string) (bool, error) {
	cur, err := get(ctx, tx, id)
	if err != nil {
		return false, err
	}
	if !cur.State.Open() || cur.Title != old {
		return false, nil
	}
	next := cur
	next.Title = clip(strings.TrimSpace(title), domainerr.MaxTitle)
	if rest, ok := strings.CutPrefix(cur.Description, old+"\n\n"); ok {
		next.Description = clip(next.Title+"\n\n"+rest, domainerr.MaxText)
	} else {
		next.Description = clip(next.Title+"\n\n"+cur.Description, domainerr.MaxText)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := tx.Exec(ctx, `UPDATE incidents SET title = ?, description = ?, updated_at = ? WHERE id = ?`,
		next.Title, next.Description, store.TS(now), id); err != nil {
		return false, err
	}
	return true, reindexText(ctx, tx, next)
}
