// Package infosec is information security management (clause 8.7.3):
// security incidents with their impact, breach assessment and notification
// clocks, seen by the security group only; the register of controls; and
// devices and services exposed to published vulnerabilities.
package infosec

import (
	"log/slog"

	"steward/internal/cmdb"
	"steward/internal/store"
)

// Service is the area's records and computations.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// CMDB, when set, follows exposed devices to the services that
	// depend on them.
	CMDB *cmdb.Service
}

// NewService builds the service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}
