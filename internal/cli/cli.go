// Package cli is Steward's command line: it parses a command and its flags
// into a Config and calls into the application. main only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Env is what a command may use of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":      {"run the web server and background jobs", serve},
		"migrate":    {"apply database migrations and exit", migrate},
		"user":       {"manage accounts: user create --email E --name N --role R --password-stdin; user unlock EMAIL; user reset-2fa EMAIL", user},
		"token":      {"issue API tokens: token create --email E --name LABEL", token},
		"audit":      {"check the audit trail: audit verify", auditCmd},
		"backup":     {"write a consistent copy of the SQLite database: backup --to FILE", backup},
		"restore":    {"replace the SQLite database with a backup: restore --from FILE", restore},
		"seed":       {"bulk-load incidents for benchmarks: seed --incidents N [--desk]", seed},
		"bench":      {"load-test a running server over HTTP: bench --token T", bench},
		"import":     {"import CIs and relationships from CSV or JSON: import cis FILE [--relationships FILE] [--dry-run]", importCmd},
		"export":     {"export CIs as CSV or JSON: export cis [--type T] [--status S] [--format csv|json] [--out FILE]", exportCmd},
		"cmdb":       {"generate a realistic fleet of CIs: cmdb generate --cis N [--seed S] [--out DIR]", cmdbCmd},
		"compliance": {"write the audit pack for an auditor: compliance audit-pack --out FILE [--standard ID]", complianceCmd},
		"events":     {"simulate a fleet sending events and measure: events loadgen [--transport http|mqtt|nats] [--target alertmanager]", eventsCmd},
	}
}

// Run executes one command line and returns the process exit code.
func Run(args []string, env Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout, cmds)
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "steward: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return 2
	}
	err := c.run(ctx, env, args[1:])
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "steward %s: %s\n", args[0], ue.msg)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "steward %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "Steward: an ISO/IEC 20000-1 service management system.\n\nUsage: steward COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'steward COMMAND -h' for a command's flags. Every flag can also be set\nwith a STEWARD_* environment variable; see docs/configuration.md.")
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// parse parses flags, refusing stray arguments.
func parse(fs *flag.FlagSet, args []string, env Env) error {
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", strings.Join(fs.Args(), " "))
	}
	return nil
}
