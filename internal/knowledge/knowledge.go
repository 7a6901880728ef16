// Package knowledge keeps the knowledge base (articles with versions,
// audience, review dates and feedback), suggests articles and known
// errors while a ticket is written, ranked in the binary, and suggests a
// category and group for new incidents from those resolved before.
package knowledge

import (
	"log/slog"

	"steward/internal/store"
)

// Service is the knowledge base over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds the knowledge base.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
