package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/clauses"
	"steward/internal/compliance"
	"steward/internal/compliance/pack"
	"steward/internal/config"
	"steward/internal/store"
)

// complianceCmd writes the audit pack, the same zip as the API's, to a
// file: for an auditor who receives it on a stick, or a nightly archive.
func complianceCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "audit-pack" {
		return usagef("usage: steward compliance audit-pack --out FILE [--standard ID] [--email E]")
	}
	var cfg config.Config
	var out, std, email string
	fs := flag.NewFlagSet("compliance audit-pack", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.StringVar(&out, "out", "", "the zip file to write (must not exist)")
	fs.StringVar(&std, "standard", clauses.Primary, "the standard to export")
	fs.StringVar(&email, "email", "", "the account the export is recorded for (the command line when empty)")
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	if out == "" {
		return usagef("--out FILE is required")
	}
	if _, ok := clauses.Get(std); !ok {
		return usagef("unknown standard %q", std)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", out)
	}
	actor := audit.Actor{Type: "system", Name: "cli"}
	var db *store.DB
	var err error
	if email == "" {
		db, err = openMigrated(ctx, cfg)
	} else {
		var u auth.User
		db, u, err = openForUser(ctx, cfg, email)
		if err == nil && (!u.Active || !(&auth.Principal{UserID: u.ID, Role: u.Role}).Can(compliance.PermExport)) {
			db.Close()
			return fmt.Errorf("%s may not export the audit pack: the account must be active and hold %s", email, compliance.PermExport)
		}
		actor = audit.Actor{Type: "user", ID: u.ID, Name: u.Email}
	}
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	m, err := pack.Write(ctx, db, f, pack.Options{Standard: std, Actor: actor})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(err, os.Remove(out))
	}
	fmt.Fprintf(env.Stdout, "audit pack written to %s: %d files, snapshot %d (SHA-256 %s), score %.1f %%\n",
		out, len(m.Files)+1, m.Snapshot.ID, m.Snapshot.SHA256, m.Snapshot.Score)
	return nil
}
