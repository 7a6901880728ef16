// Package identity signs people in through their organisation's OpenID
// Connect provider (authorisation code flow with PKCE), maps the
// provider's claims to role, customer and groups, and creates users on
// first sign-in when allowed. It also holds the settings that decide
// which roles must use a second factor and whether single sign-on users
// may still use a local password (auth.SignInPolicy).
package identity

import (
	"crypto/cipher"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/store"
)

// PermAdmin lets a person edit single sign-on's claim mapping and the
// second-factor rules, and reset a user's second factor.
var PermAdmin = auth.Declare("identity:admin",
	"Configure single sign-on and which roles must use a second factor, and reset people's second factors", auth.Admin)

// Service is single sign-on over one database.
type Service struct {
	DB  *store.DB
	Cfg config.Config
	Log *slog.Logger
	// HTTP talks to the provider; nil is a client with a 10-second
	// timeout.
	HTTP *http.Client
	// DiscoveryPause is how long after a failed discovery sign-ins are
	// told the provider is down without asking it again; 0 is 10 seconds.
	DiscoveryPause time.Duration

	mu       sync.Mutex
	provider *oidc.Provider // nil until discovery has worked
	tried    time.Time      // the last failed discovery
	failure  error

	keyMu sync.Mutex
	aead  cipher.AEAD // seals sign-ins under way; nil until the first
}

// NewService builds single sign-on; with no --oidc-issuer it is off.
func NewService(db *store.DB, cfg config.Config, log *slog.Logger) *Service {
	return &Service{DB: db, Cfg: cfg, Log: log}
}

// Enabled says whether a provider is configured.
func (s *Service) Enabled() bool { return s.Cfg.OIDCIssuer != "" }

// Name is what the sign-in button calls the provider.
func (s *Service) Name() string {
	if s.Cfg.OIDCName != "" {
		return s.Cfg.OIDCName
	}
	return "your organisation's account"
}

// RedirectURL is where the provider sends people back to.
func (s *Service) RedirectURL() string { return s.Cfg.PublicURL() + "/login/oidc/callback" }

func (s *Service) client() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}
