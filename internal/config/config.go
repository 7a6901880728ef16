// Package config gathers Steward's settings from command-line flags and
// STEWARD_* environment variables into one Config passed down from main.
// A flag given on the command line wins over the environment, which wins
// over the default.
package config

import (
	"flag"
	"fmt"
	"os"
	"strconv"
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
	// MaxAttachmentMB is the largest file, in MB, a record accepts; 0 means the default.
	MaxAttachmentMB int64

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
	fs.IntVar(&c.ReadConns, "read-conns", c.envInt("STEWARD_READ_CONNS", 8), "database read connections (env STEWARD_READ_CONNS)")
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
		return fmt.Errorf("--read-conns must be between 1 and 256")
	}
	if c.MaxAttachmentMB < 0 || c.MaxAttachmentMB > 2048 {
		return fmt.Errorf("--max-attachment-mb must be between 1 and 2048 (0 keeps the default of 25)")
	}
	if c.JobInterval < 0 {
		return fmt.Errorf("--job-interval must not be negative")
	}
	return nil
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
