package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/config"
)

// userReset2FA removes an account's second factor: the way back in for
// someone who lost their phone and their recovery codes when no
// administrator can sign in to the web page.
func userReset2FA(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flag.NewFlagSet("user reset-2fa", flag.ContinueOnError)
	cfg.Storage(fs)
	var email string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		email, args = args[0], args[1:] // the address may come before the flags
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if email == "" && fs.NArg() > 0 {
		email = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("unexpected argument %q", strings.Join(fs.Args(), " "))
	}
	if email == "" {
		return usagef("usage: steward user reset-2fa EMAIL")
	}
	db, u, err := openForUser(ctx, cfg, email)
	if err != nil {
		return err
	}
	defer db.Close()
	was, err := auth.ResetSecondFactor(ctx, db, audit.Actor{Type: "system", Name: "cli"}, u.ID)
	if err != nil {
		return err
	}
	if !was {
		fmt.Fprintf(env.Stdout, "%s had no second factor on; nothing to reset\n", u.Email)
		return nil
	}
	fmt.Fprintf(env.Stdout, "reset the second factor of %s; their next sign-in needs only the password (or sets a new one up when their role must use one)\n", u.Email)
	return nil
}
