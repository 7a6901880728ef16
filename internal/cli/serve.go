package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"steward/internal/app"
	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
	"steward/internal/demo"
	"steward/internal/incident"
	"steward/internal/store"
)

func serve(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.Server(fs)
	var cpuProfile string
	fs.StringVar(&cpuProfile, "cpu-profile", "", "write a CPU profile of the server to this file until it stops (for go tool pprof)")
	var heapProfile string
	fs.StringVar(&heapProfile, "heap-profile", "", "write a profile of the server's live memory to this file when it stops (for go tool pprof)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	log := app.NewLogger(cfg)
	db, err := app.OpenStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	a := app.New(cfg, db, log)
	if cfg.Demo {
		empty, err := demo.Empty(ctx, db)
		if err != nil {
			return err
		}
		if empty {
			log.Info("loading the demo organisation")
			if err := a.LoadDemo(ctx); err != nil {
				return fmt.Errorf("demo data: %w", err)
			}
		}
	}
	if cpuProfile != "" {
		stop, err := profileCPU(cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if heapProfile != "" {
		defer func() {
			profileHeap(heapProfile, log)
			runtime.KeepAlive(a) // what the server held, not what is left of it
		}()
	}
	where := "SQLite in " + cfg.DataDir
	if cfg.DatabaseURL != "" {
		where = "PostgreSQL"
	}
	scheme := "http://"
	if cfg.TLSCert != "" {
		scheme = "https://"
	}
	return a.Serve(ctx, func(addr string) {
		log.Info("steward is listening", "url", scheme+addr, "database", where)
		if cfg.Demo {
			fmt.Fprintf(env.Stdout, "\nSteward is running at %s%s\n\nDemo sign-in (password %q for all):\n", scheme, addr, demo.Password)
			for _, l := range demo.Logins {
				fmt.Fprintf(env.Stdout, "  %-10s %s\n", l.Role, l.Email)
			}
			fmt.Fprintln(env.Stdout)
		}
	})
}

// profileHeap writes what is live on the heap after a collection.
func profileHeap(path string, log *slog.Logger) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
	}
	if err != nil {
		log.Error("heap profile", "err", err)
	}
}

// profileCPU starts a CPU profile into path; stop ends and writes it.
func profileCPU(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func migrate(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg.Storage(fs)
	if err := parse(fs, args, env); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Synchronous: cfg.SQLiteSynchronous})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintln(env.Stdout, "applied", m)
	}
	if err == nil && len(applied) == 0 {
		fmt.Fprintln(env.Stdout, "the database is up to date")
	}
	return err
}

// openMigrated opens the store for a one-shot command.
func openMigrated(ctx context.Context, cfg config.Config) (*store.DB, error) {
	return app.OpenStore(ctx, cfg, app.NewLogger(cfg))
}

func user(ctx context.Context, env Env, args []string) error {
	switch {
	case len(args) > 0 && args[0] == "create":
		return userCreate(ctx, env, args[1:])
	case len(args) > 0 && args[0] == "unlock":
		return userUnlock(ctx, env, args[1:])
	case len(args) > 0 && args[0] == "reset-2fa":
		return userReset2FA(ctx, env, args[1:])
	}
	return usagef("usage: steward user create --email E --name N --role R [--customer ID] --password-stdin\n       steward user unlock EMAIL\n       steward user reset-2fa EMAIL")
}

func userCreate(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	var email, name, role string
	var customer int64
	var pwStdin bool
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.StringVar(&email, "email", "", "e-mail address (the sign-in name)")
	fs.StringVar(&name, "name", "", "display name")
	fs.StringVar(&role, "role", "", "admin, agent, requester or auditor")
	fs.Int64Var(&customer, "customer", 0, "customer organisation id (requesters)")
	fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (required)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if !pwStdin {
		return usagef("--password-stdin is required: pass the password on standard input, never as a flag")
	}
	pw, err := io.ReadAll(io.LimitReader(env.Stdin, 1024))
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	in := auth.NewUser{Email: email, Name: name, Role: auth.Role(role), Password: strings.TrimRight(string(pw), "\r\n")}
	if customer != 0 {
		in.CustomerID = &customer
	}
	u, err := auth.CreateUser(ctx, db, audit.Actor{Type: "system", Name: "cli"}, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created user %d %s (%s)\n", u.ID, u.Email, u.Role)
	return nil
}

// userUnlock lifts an account's sign-in lockouts: the way back in for an
// admin locked out of every address, who cannot use the web page.
func userUnlock(ctx context.Context, env Env, args []string) error {
	cfg, email, err := userEmailArgs("unlock", args)
	if err != nil {
		return err
	}
	db, u, err := openForUser(ctx, cfg, email)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := auth.Unlock(ctx, db, audit.Actor{Type: "system", Name: "cli"}, u.ID)
	if err != nil {
		return err
	}
	noun := "lockouts"
	if n == 1 {
		noun = "lockout"
	}
	fmt.Fprintf(env.Stdout, "lifted %d sign-in %s of %s; its failed sign-ins are forgotten\n", n, noun, u.Email)
	return nil
}

// userEmailArgs reads the flags and the one address of `steward user
// NAME EMAIL`, the address before or after the flags.
func userEmailArgs(name string, args []string) (config.Config, string, error) {
	var cfg config.Config
	fs := flag.NewFlagSet("user "+name, flag.ContinueOnError)
	cfg.Storage(fs)
	var email string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		email, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, "", err
		}
		return cfg, "", usagef("%v", err)
	}
	if email == "" && fs.NArg() > 0 {
		email = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return cfg, "", usagef("unexpected argument %q", strings.Join(fs.Args(), " "))
	}
	if email == "" {
		return cfg, "", usagef("usage: steward user %s EMAIL", name)
	}
	return cfg, email, nil
}

// openForUser opens the database and finds the account with email.
func openForUser(ctx context.Context, cfg config.Config, email string) (*store.DB, auth.User, error) {
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return nil, auth.User{}, err
	}
	u, err := auth.UserByEmail(ctx, db, email)
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("no account with e-mail %s", email)
	}
	if err != nil {
		db.Close()
		return nil, auth.User{}, err
	}
	return db, u, nil
}

func token(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("usage: steward token create --email E --name LABEL")
	}
	var cfg config.Config
	var email, name string
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.StringVar(&email, "email", "", "the account the token acts as")
	fs.StringVar(&name, "name", "", "a label to recognise the token by")
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	if email == "" || name == "" {
		return usagef("--email and --name are required")
	}
	db, u, err := openForUser(ctx, cfg, email)
	if err != nil {
		return err
	}
	defer db.Close()
	secret, _, err := auth.CreateToken(ctx, db, audit.Actor{Type: "system", Name: "cli"}, u.ID, name)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, secret)
	return nil
}

func auditCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usagef("usage: steward audit verify")
	}
	var cfg config.Config
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	cfg.Storage(fs)
	if err := parse(fs, args[1:], env); err != nil {
		return err
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := audit.Verify(ctx, db)
	var br *audit.Break
	if errors.As(err, &br) {
		fmt.Fprintf(env.Stdout, "BROKEN: %d entries verified, then seq %d: %s\n", n, br.Seq, br.Reason)
		return fmt.Errorf("audit trail is broken at seq %d", br.Seq)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "OK: %d entries, hash chain intact\n", n)
	return nil
}

func backup(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	var to string
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.StringVar(&to, "to", "", "file to write the copy to (must not exist)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if to == "" {
		return usagef("--to FILE is required")
	}
	if cfg.DatabaseURL != "" {
		return errors.New("on PostgreSQL use pg_dump: pg_dump --format=custom --file=steward.dump \"$STEWARD_DATABASE_URL\" (see docs/operations.md)")
	}
	if _, err := os.Stat(to); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", to)
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, to); err != nil {
		return err
	}
	info, err := os.Stat(to)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s (%d bytes, %s)\n", to, info.Size(), time.Since(start).Round(time.Millisecond))
	return nil
}

func restore(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	var from string
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.StringVar(&from, "from", "", "backup file written by steward backup")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if from == "" {
		return usagef("--from FILE is required")
	}
	if cfg.DatabaseURL != "" {
		return errors.New("on PostgreSQL use pg_restore (see docs/operations.md)")
	}
	if err := store.Restore(ctx, from, cfg.DataDir); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "restored %s into %s\n", from, filepath.Join(cfg.DataDir, store.DBFile))
	return nil
}

func seed(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	var n int
	var deskShaped bool
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	cfg.Storage(fs)
	fs.IntVar(&n, "incidents", 10000, "how many incidents to add")
	fs.BoolVar(&deskShaped, "desk", false, "shape them like a desk's year: 95% closed, 16 groups of uneven size, a few dozen waiting unassigned in each")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	if n <= 0 || n > 50_000_000 {
		return usagef("--incidents must be between 1 and 50000000")
	}
	db, err := openMigrated(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := incident.NewService(db, 7*24*time.Hour)
	start := time.Now()
	load := demo.Seed
	if deskShaped {
		load = demo.SeedDesk
	}
	err = load(ctx, db, svc, n, func(done int) {
		el := time.Since(start)
		rate := float64(done) / el.Seconds()
		eta := time.Duration(float64(n-done)/rate) * time.Second
		fmt.Fprintf(env.Stderr, "\rseeding: %d/%d incidents (%.0f%%), %.0f/s, about %s left   ", done, n, 100*float64(done)/float64(n), rate, eta.Round(time.Second))
	})
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "seeded %d incidents in %s\n", n, time.Since(start).Round(time.Second))
	return nil
}
