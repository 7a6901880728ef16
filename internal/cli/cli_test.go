package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"steward/internal/auth"
	"steward/internal/store"
)

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	data := t.TempDir()
	d := "--data=" + data
	steps := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string // fragment of stdout (or stderr when the code is not 0)
	}{
		{"help", "", []string{"help"}, 0, "Commands:"},
		{"unknown command", "", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"migrate", "", []string{"migrate", d}, 0, "applied 0001_foundation.sql"},
		{"migrate again", "", []string{"migrate", d}, 0, "up to date"},
		{"user without password-stdin", "", []string{"user", "create", d, "--email", "a@b.test", "--name", "A", "--role", "admin"}, 2, "--password-stdin is required"},
		{"user with bad role and short password", "short\n", []string{"user", "create", d, "--email", "a@b.test", "--name", "A", "--role", "boss", "--password-stdin"}, 1, "role: must be one of"},
		{"user create", "a-long-password\n", []string{"user", "create", d, "--email", "ops@b.test", "--name", "Ops", "--role", "admin", "--password-stdin"}, 0, "created user 1 ops@b.test (admin)"},
		{"duplicate user", "a-long-password\n", []string{"user", "create", d, "--email", "OPS@b.test", "--name", "Ops", "--role", "admin", "--password-stdin"}, 1, "already used"},
		{"token for unknown user", "", []string{"token", "create", d, "--email", "nobody@b.test", "--name", "x"}, 1, "no account with e-mail"},
		{"token create", "", []string{"token", "create", d, "--email", "ops@b.test", "--name", "ci"}, 0, "stw_"},
		{"token without name", "", []string{"token", "create", d, "--email", "ops@b.test"}, 2, "--email and --name are required"},
		{"audit verify", "", []string{"audit", "verify", d}, 0, "OK: 2 entries, hash chain intact"},
		{"stray argument", "", []string{"migrate", d, "extra"}, 2, `unexpected argument "extra"`},
		{"bad flag", "", []string{"serve", d, "--cookie-secure", "sometimes"}, 2, "--cookie-secure must be auto, always or never"},
		{"backup needs --to", "", []string{"backup", d}, 2, "--to FILE is required"},
		{"backup", "", []string{"backup", d, "--to", filepath.Join(data, "copy.db")}, 0, "backup written to"},
		{"backup will not overwrite", "", []string{"backup", d, "--to", filepath.Join(data, "copy.db")}, 1, "already exists"},
		{"restore", "", []string{"restore", "--data", filepath.Join(data, "restored"), "--from", filepath.Join(data, "copy.db")}, 0, "restored"},
		{"restored copy verifies", "", []string{"audit", "verify", "--data", filepath.Join(data, "restored")}, 0, "OK: 2 entries"},
		{"backup on postgres points to pg_dump", "", []string{"backup", "--database-url", "postgres://x@127.0.0.1:1/none", "--to", "x"}, 1, "pg_dump"},
		{"seed bounds", "", []string{"seed", d, "--incidents", "0"}, 2, "--incidents must be between"},
	}
	for _, s := range steps {
		code, out, errOut := run(t, s.stdin, s.args...)
		text := out
		if s.wantCode != 0 {
			text = errOut
		}
		if code != s.wantCode || !strings.Contains(text, s.wantOut) {
			t.Errorf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.wantCode, out, errOut)
		}
	}
}

func TestBadEnvironmentIsReported(t *testing.T) {
	t.Setenv("STEWARD_AUTO_CLOSE_AFTER", "a week")
	code, _, errOut := run(t, "", "serve", "--data", t.TempDir())
	if code != 2 || !strings.Contains(errOut, "STEWARD_AUTO_CLOSE_AFTER") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// An admin locked out of every address gets back in from the command line.
func TestUserUnlock(t *testing.T) {
	data := t.TempDir()
	if code, _, errOut := run(t, "a-long-password\n", "user", "create", "--data", data, "--email", "ops@b.test", "--name", "Ops", "--role", "admin", "--password-stdin"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	s := auth.NewSignIn(db, auth.NewPasswordChecks(0, 0))
	s.Limits.PerAccount = 3
	for i := range 4 {
		s.Login(ctx, "ops@b.test", "wrong", fmt.Sprintf("192.0.2.%d", i))
	}
	var th *auth.ErrThrottled
	if _, _, err := s.Login(ctx, "ops@b.test", "a-long-password", "192.0.2.200"); !errors.As(err, &th) || th.Scope != auth.ScopeAccount {
		t.Fatalf("before: %v, want the account locked from every address", err)
	}
	db.Close()

	for _, c := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"user", "unlock", "--data", data}, 2, "usage: steward user unlock EMAIL"},
		{[]string{"user", "unlock", "nobody@b.test", "--data", data}, 1, "no account with e-mail nobody@b.test"},
		{[]string{"user", "unlock", "OPS@b.test", "--data", data}, 0, "lifted 1 sign-in lockout of ops@b.test"},
		{[]string{"user", "unlock", "--data", data, "ops@b.test"}, 0, "lifted 0 sign-in lockouts"},
	} {
		code, out, errOut := run(t, "", c.args...)
		if code != c.wantCode || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d (want %d)\n%s%s", c.args, code, c.wantCode, out, errOut)
		}
	}

	db, err = store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := auth.NewSignIn(db, auth.NewPasswordChecks(0, 0)).Login(ctx, "ops@b.test", "a-long-password", "192.0.2.200"); err != nil {
		t.Fatalf("after the unlock: %v", err)
	}
}
