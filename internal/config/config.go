// Package config gathers Steward's settings from command-line flags and
// STEWARD_* environment variables into one Config passed down from main.
// A flag given on the command line wins over the environment, which wins
// over the default.
package config

import (
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the server and the commands.
type Config struct {
	DataDir     string
	DatabaseURL string
	// SQLiteSynchronous is SQLite's synchronous setting: normal (the
	// default) or full, which syncs the log at every commit.
	SQLiteSynchronous string
	Addr              string
	Demo              bool
	AutoCloseAfter    time.Duration
	CookieSecure      string // auto, always or never
	LogLevel          string
	LogFormat         string
	JobInterval       time.Duration
	ReadConns         int
	// PGWriters is how many shared write transactions run at once on
	// PostgreSQL; 0 means the store's default.
	PGWriters int
	// MaxAttachmentMB is the largest file, in MB, a record accepts; 0 means the default.
	MaxAttachmentMB int64
	// TLSCert and TLSKey are PEM files; with both set the server speaks HTTPS itself.
	TLSCert string
	TLSKey  string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; none by default.
	TrustedProxies []netip.Prefix
	// PasswordChecks bounds the password checks run at once; 0 is twice the cores.
	PasswordChecks int

	// BaseURL is where people reach this installation (https://desk.example.com),
	// for links in e-mail and the single sign-on return address; empty
	// means http:// and Addr.
	BaseURL string
	// SMTPURL sends mail (smtp://user:pass@host:587 with STARTTLS,
	// smtps://host:465 with TLS); empty sends none.
	SMTPURL  string
	MailFrom string
	// IMAPURL is a mailbox to poll for incoming mail
	// (imaps://user:pass@host:993/INBOX); empty polls none.
	IMAPURL      string
	IMAPInterval time.Duration
	// InboundSMTPAddr is where an SMTP listener takes mail a relay
	// forwards (127.0.0.1:2525); empty listens nowhere.
	InboundSMTPAddr string
	// OIDCIssuer, OIDCClientID and OIDCClientSecret connect an OpenID
	// provider for single sign-on; OIDCName labels its button.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCName         string
	// TimeZone is the organisation's IANA time zone (Europe/Berlin): the
	// days, weeks and months of KPIs, dashboards and scheduled reports
	// are the organisation's, not UTC's.
	TimeZone string

	envErrs []error
}

// Storage registers the flags every command takes to find the database.
func (c *Config) Storage(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", env("STEWARD_DATA", "./steward-data"), "folder of the embedded SQLite database (env STEWARD_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("STEWARD_DATABASE_URL", ""), "PostgreSQL URL, e.g. postgres://user@host/db; wins over --data (env STEWARD_DATABASE_URL)")
	fs.StringVar(&c.SQLiteSynchronous, "sqlite-synchronous", env("STEWARD_SQLITE_SYNCHRONOUS", "normal"),
		"SQLite: normal, or full to sync the write-ahead log at every commit so that a power loss loses no committed write (env STEWARD_SQLITE_SYNCHRONOUS)")
	fs.StringVar(&c.LogLevel, "log-level", env("STEWARD_LOG_LEVEL", "info"), "debug, info, warn or error (env STEWARD_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("STEWARD_LOG_FORMAT", "text"), "text or json (env STEWARD_LOG_FORMAT)")
}

// Server registers the flags of `steward serve`.
func (c *Config) Server(fs *flag.FlagSet) {
	c.Storage(fs)
	fs.StringVar(&c.Addr, "addr", env("STEWARD_ADDR", "127.0.0.1:8080"), "address to listen on (env STEWARD_ADDR)")
	fs.BoolVar(&c.Demo, "demo", c.envBool("STEWARD_DEMO", false), "load a demo organisation into an empty database (env STEWARD_DEMO)")
	fs.DurationVar(&c.AutoCloseAfter, "auto-close-after", c.envDuration("STEWARD_AUTO_CLOSE_AFTER", 7*24*time.Hour), "close resolved incidents after this long; 0 disables (env STEWARD_AUTO_CLOSE_AFTER)")
	fs.StringVar(&c.CookieSecure, "cookie-secure", env("STEWARD_COOKIE_SECURE", "auto"), "mark session cookies Secure: auto (when served over HTTPS), always, never (env STEWARD_COOKIE_SECURE)")
	fs.DurationVar(&c.JobInterval, "job-interval", c.envDuration("STEWARD_JOB_INTERVAL", time.Second), "how often background jobs are looked for (env STEWARD_JOB_INTERVAL)")
	fs.Int64Var(&c.MaxAttachmentMB, "max-attachment-mb", int64(c.envInt("STEWARD_MAX_ATTACHMENT_MB", 25)), "largest attachment in MB (env STEWARD_MAX_ATTACHMENT_MB)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("STEWARD_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain); needs --tls-key (env STEWARD_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("STEWARD_TLS_KEY", ""), "the PEM private key of --tls-cert (env STEWARD_TLS_KEY)")
	c.TrustedProxies = c.envPrefixes("STEWARD_TRUSTED_PROXIES")
	fs.Func("trusted-proxies", "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or CIDR ranges, comma-separated; none by default (env STEWARD_TRUSTED_PROXIES)", func(v string) error {
		p, err := ParsePrefixes(v)
		c.TrustedProxies = p
		return err
	})
	fs.IntVar(&c.PasswordChecks, "password-checks", c.envInt("STEWARD_PASSWORD_CHECKS", 0), "password checks (argon2id, 19 MiB each) run at once; 0 means twice the CPU cores, at least 2 (env STEWARD_PASSWORD_CHECKS)")
	fs.StringVar(&c.BaseURL, "base-url", env("STEWARD_BASE_URL", ""), "where people reach Steward, e.g. https://desk.example.com, for links in e-mail and the single sign-on return address; empty means http:// and --addr (env STEWARD_BASE_URL)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("STEWARD_SMTP_URL", ""), "send e-mail through this server: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (TLS); empty sends none (env STEWARD_SMTP_URL)")
	fs.StringVar(&c.MailFrom, "mail-from", env("STEWARD_MAIL_FROM", ""), "sender address of e-mail, e.g. \"Service desk <desk@example.com>\"; also the service address replies come back to (env STEWARD_MAIL_FROM)")
	fs.StringVar(&c.IMAPURL, "imap-url", env("STEWARD_IMAP_URL", ""), "poll this mailbox for incoming mail: imaps://user:pass@host:993/INBOX or imap://...:143/folder (STARTTLS); empty polls none (env STEWARD_IMAP_URL)")
	fs.DurationVar(&c.IMAPInterval, "imap-interval", c.envDuration("STEWARD_IMAP_INTERVAL", 30*time.Second), "how often the mailbox of --imap-url is read (env STEWARD_IMAP_INTERVAL)")
	fs.StringVar(&c.InboundSMTPAddr, "inbound-smtp-addr", env("STEWARD_INBOUND_SMTP_ADDR", ""), "take incoming mail by SMTP on this address, e.g. 127.0.0.1:2525, from a relay; empty listens nowhere (env STEWARD_INBOUND_SMTP_ADDR)")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", env("STEWARD_OIDC_ISSUER", ""), "OpenID Connect provider for single sign-on, e.g. https://login.example.com; empty turns single sign-on off (env STEWARD_OIDC_ISSUER)")
	fs.StringVar(&c.OIDCClientID, "oidc-client-id", env("STEWARD_OIDC_CLIENT_ID", ""), "Steward's client id at the OpenID provider (env STEWARD_OIDC_CLIENT_ID); the secret is read from STEWARD_OIDC_CLIENT_SECRET only")
	c.OIDCClientSecret = os.Getenv("STEWARD_OIDC_CLIENT_SECRET")
	fs.StringVar(&c.OIDCName, "oidc-name", env("STEWARD_OIDC_NAME", "your organisation's account"), "what the sign-in button calls the provider: \"Sign in with ...\" (env STEWARD_OIDC_NAME)")
	fs.StringVar(&c.TimeZone, "time-zone", env("STEWARD_TIME_ZONE", "UTC"), "the organisation's time zone, e.g. Europe/Berlin: KPI periods (days, weeks, months) and scheduled reports follow its calendar (env STEWARD_TIME_ZONE)")
	fs.IntVar(&c.ReadConns, "read-conns", c.envInt("STEWARD_READ_CONNS", 0), "database read connections; 0 chooses: on SQLite twice the processors and at least 4, on PostgreSQL 8 (env STEWARD_READ_CONNS)")
	fs.IntVar(&c.PGWriters, "pg-writers", c.envInt("STEWARD_PG_WRITERS", 0), "PostgreSQL: write transactions run at once, each gathering the writes waiting for it; 0 means 2 (env STEWARD_PG_WRITERS)")
}

// Validate checks values a flag type cannot.
func (c *Config) Validate() error {
	switch c.CookieSecure {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("--cookie-secure must be auto, always or never, not %q", c.CookieSecure)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.SQLiteSynchronous != "normal" && c.SQLiteSynchronous != "full" {
		return fmt.Errorf("--sqlite-synchronous must be normal or full, not %q", c.SQLiteSynchronous)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	}
	if len(c.envErrs) > 0 {
		return c.envErrs[0]
	}
	if c.AutoCloseAfter < 0 {
		return fmt.Errorf("--auto-close-after must not be negative")
	}
	if c.ReadConns < 0 || c.ReadConns > 256 {
		return fmt.Errorf("--read-conns must be between 1 and 256 (0 chooses from the processors)")
	}
	if c.PGWriters < 0 || c.PGWriters > 64 {
		return fmt.Errorf("--pg-writers must be between 1 and 64 (0 keeps the default of 2)")
	}
	if c.MaxAttachmentMB < 0 || c.MaxAttachmentMB > 2048 {
		return fmt.Errorf("--max-attachment-mb must be between 1 and 2048 (0 keeps the default of 25)")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither")
	}
	if c.PasswordChecks < 0 || c.PasswordChecks > 1024 {
		return fmt.Errorf("--password-checks must be between 0 (twice the CPU cores) and 1024")
	}
	if c.JobInterval < 0 {
		return fmt.Errorf("--job-interval must not be negative")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" {
		return fmt.Errorf("--time-zone must be an IANA time zone such as Europe/Berlin or UTC, not %q", c.TimeZone)
	}
	return c.validateConnections()
}

// Location is the organisation's time zone (TimeZone), UTC when none is
// set or it is not one.
func (c Config) Location() *time.Location {
	if c.TimeZone == "" || c.TimeZone == "Local" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// validateConnections checks the addresses of mail servers and the
// identity provider, so that a typo stops the start rather than the first
// message.
func (c *Config) validateConnections() error {
	check := func(flag, v string, schemes ...string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
			return fmt.Errorf("--%s must be a URL such as %s://host:port, not %q", flag, schemes[0], redact(v))
		}
		return nil
	}
	if err := check("base-url", c.BaseURL, "https", "http"); err != nil {
		return err
	}
	if err := check("smtp-url", c.SMTPURL, "smtp", "smtps"); err != nil {
		return err
	}
	if err := check("imap-url", c.IMAPURL, "imaps", "imap"); err != nil {
		return err
	}
	if err := check("oidc-issuer", c.OIDCIssuer, "https", "http"); err != nil {
		return err
	}
	if c.SMTPURL != "" && c.MailFrom == "" {
		return fmt.Errorf("--smtp-url needs --mail-from, the address e-mail is sent from")
	}
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			return fmt.Errorf("--mail-from must be an e-mail address such as \"Service desk <desk@example.com>\", not %q", c.MailFrom)
		}
	}
	if c.InboundSMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.InboundSMTPAddr); err != nil {
			return fmt.Errorf("--inbound-smtp-addr must be host:port such as 127.0.0.1:2525, not %q", c.InboundSMTPAddr)
		}
	}
	if c.IMAPURL != "" && c.IMAPInterval < time.Second {
		return fmt.Errorf("--imap-interval must be at least 1s")
	}
	if c.OIDCIssuer != "" && (c.OIDCClientID == "" || c.OIDCClientSecret == "") {
		return fmt.Errorf("--oidc-issuer needs --oidc-client-id and STEWARD_OIDC_CLIENT_SECRET")
	}
	return nil
}

// redact hides a password in a URL for an error message.
func redact(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return v
}

// PublicURL is BaseURL without a trailing slash, or http:// and Addr.
func (c *Config) PublicURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return "http://" + c.Addr
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// EnvErrors lists environment variables that could not be read; they are
// reported at start rather than silently ignored.
func (c *Config) EnvErrors() []error { return c.envErrs }

func (c *Config) envBool(name string, def bool) bool {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: must be true or false", name, v))
		return def
	}
	return b
}

func (c *Config) envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: must be a whole number", name, v))
		return def
	}
	return n
}

// ParsePrefixes reads a comma- or space-separated list of CIDR ranges and
// single addresses (a range of one).
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		} else {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range such as 10.0.0.0/8", f)
		}
	}
	return out, nil
}

func (c *Config) envPrefixes(name string) []netip.Prefix {
	p, err := ParsePrefixes(os.Getenv(name))
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("%s: %v", name, err))
	}
	return p
}

func (c *Config) envDuration(name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("%s=%q: must be a duration such as 168h or 30m", name, v))
		return def
	}
	return d
}
