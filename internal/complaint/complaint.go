// Package complaint keeps complaints (CMP-) as records: raised by a
// requester, an agent on their behalf, a low rating or an e-mail; with an
// owner, a target date, investigation, response, closure and whether the
// customer accepted the outcome.
package complaint

import (
	"log/slog"

	"steward/internal/store"
)

// Service is complaints over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds complaints.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
