package cmdb

import (
	"log/slog"
	"time"

	"steward/internal/store"
)

// Service is configuration management over one database. One Service per
// process holds the impact graph in memory (graph.go).
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time
	// ImportChunkRows is how many lines an import job writes per
	// transaction; 1000 when 0.
	ImportChunkRows int

	graph *graphHolder
}

// NewService builds a Service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Log: log, Now: time.Now, graph: &graphHolder{}}
}
