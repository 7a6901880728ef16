package identity

import (
	"context"

	"steward/internal/audit"
	"steward/internal/store"
)

// Unlink removes every link of a user to a provider account, as an
// administrator does when the wrong provider account holds the link or
// its owner's account at the provider was made anew; the next sign-in
// through the provider links the account again under the rules for
// linking by e-mail. It says how many links there were.
func (s *Service) Unlink(ctx context.Context, actor audit.Actor, userID int64) (int, error) {
	var n int
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM identity_links WHERE user_id = ?", userID)
		if err != nil {
			return err
		}
		removed, err := res.RowsAffected()
		if err != nil || removed == 0 {
			return err
		}
		n = int(removed)
		return audit.Record(ctx, tx, actor, "sso_unlinked", "user", userID, map[string]any{"links": n})
	})
	return n, err
}
