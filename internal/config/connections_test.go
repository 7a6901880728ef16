package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// A mistyped mail server, mailbox or provider stops the start with the
// flag's name, and a password in the URL is never printed back.
func TestConnectionsAreCheckedAtStart(t *testing.T) {
	serve := func(args ...string) error {
		var c Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Server(fs)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return c.Validate()
	}
	good := [][]string{
		nil,
		{"--smtp-url", "smtp://desk:pw@mail.example.com:587", "--mail-from", "Service desk <desk@example.com>"},
		{"--smtp-url", "smtps://mail.example.com:465", "--mail-from", "desk@example.com"},
		{"--imap-url", "imaps://desk:pw@mail.example.com:993/INBOX", "--inbound-smtp-addr", "127.0.0.1:2525"},
		{"--base-url", "https://desk.example.com"},
	}
	for _, args := range good {
		if err := serve(args...); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--smtp-url", "mail.example.com:587", "--mail-from", "desk@example.com"}, "--smtp-url"},
		{[]string{"--smtp-url", "http://desk:hunter22@mail.example.com", "--mail-from", "desk@example.com"}, "--smtp-url"},
		{[]string{"--smtp-url", "smtp://mail.example.com:587"}, "--mail-from"},
		{[]string{"--mail-from", "the desk"}, "--mail-from"},
		{[]string{"--imap-url", "pop3://mail.example.com"}, "--imap-url"},
		{[]string{"--imap-url", "imaps://mail.example.com/INBOX", "--imap-interval", "10ms"}, "--imap-interval"},
		{[]string{"--inbound-smtp-addr", "2525"}, "--inbound-smtp-addr"},
		{[]string{"--base-url", "desk.example.com"}, "--base-url"},
		{[]string{"--oidc-issuer", "https://login.example.com"}, "--oidc-client-id"},
	}
	for _, c := range bad {
		err := serve(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %s", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter22") {
			t.Errorf("%v: the error prints the password: %v", c.args, err)
		}
	}
}

func TestPublicURL(t *testing.T) {
	c := Config{Addr: "127.0.0.1:8080"}
	if got := c.PublicURL(); got != "http://127.0.0.1:8080" {
		t.Errorf("without --base-url: %q", got)
	}
	c.BaseURL = "https://desk.example.com/"
	if got := c.PublicURL(); got != "https://desk.example.com" {
		t.Errorf("with --base-url: %q", got)
	}
}
