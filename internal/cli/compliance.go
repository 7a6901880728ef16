package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/compliance/pack"
	"steward/internal/config"
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
	db, err := openMigrated(ctx, cfg)
	if email != "" {
		if err == nil {
			db.Close()
		}
		db2, u, err2 := openForUser(ctx, cfg, email)
		db, err = db2, err2
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
