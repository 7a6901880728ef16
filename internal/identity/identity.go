// Package identity signs people in through their organisation's OpenID
// Connect provider (authorisation code flow with PKCE), maps the
// provider's claims to role, customer and groups, and creates users on
// first sign-in when allowed.
package identity

import (
	"log/slog"

	"steward/internal/config"
	"steward/internal/store"
)

// Service is single sign-on over one database.
type Service struct {
	DB  *store.DB
	Cfg config.Config
	Log *slog.Logger
}

// NewService builds single sign-on; with no --oidc-issuer it is off.
func NewService(db *store.DB, cfg config.Config, log *slog.Logger) *Service {
	return &Service{DB: db, Cfg: cfg, Log: log}
}
