package cli

import (
	"context"
	"fmt"

	"steward/internal/audit"
	"steward/internal/auth"
)

// userReset2FA removes an account's second factor: the way back in for
// someone who lost their phone and their recovery codes when no
// administrator can sign in to the web page.
func userReset2FA(ctx context.Context, env Env, args []string) error {
	cfg, email, err := userEmailArgs("reset-2fa", args)
	if err != nil {
		return err
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
