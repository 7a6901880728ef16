package mail_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"steward/internal/auth"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

var queuedResetToken = regexp.MustCompile(`/password/reset/([A-Za-z0-9_-]{40,})`)

// queuedReset asks for a reset link for email and reads its token from
// the outbox before it is sent (no server is needed for that).
func queuedReset(t *testing.T, s *site, email string) string {
	t.Helper()
	ctx := context.Background()
	if err := s.app.Mail.RequestReset(ctx, email, "127.0.0.50"); err != nil {
		t.Fatal(err)
	}
	var body string
	err := s.e.DB.QueryRow(ctx, "SELECT text_body FROM mail_outbox WHERE kind = 'password_reset' ORDER BY id DESC LIMIT 1").Scan(&body)
	if err != nil {
		t.Fatal(err)
	}
	m := queuedResetToken.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in the reset mail:\n%s", body)
	}
	return m[1]
}

// Someone who learnt the old password and stopped at the second step
// (here: setting up the second factor the agent role must use) cannot
// finish that sign-in once the owner has reset the password.
func TestResetEndsSignInsWaitingForTheirSecondStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, "smtp://127.0.0.1:1")
		ctx := context.Background()
		s.user("ann", auth.Agent, "Ann Agent")
		if _, err := e.DB.Exec(ctx, "UPDATE identity_settings SET second_factor_roles = 'agent' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		// The intruder's password sign-in stops at the second step.
		_, _, err := s.app.SignIn.Login(ctx, "ann@mail.test", "a-long-password", "198.51.100.7")
		var need *auth.SecondFactorNeeded
		if !errors.As(err, &need) || !need.Enrol {
			t.Fatalf("the old password: %v, want the second factor set up", err)
		}

		// Ann resets her password.
		token := queuedReset(t, s, "ann@mail.test")
		if err := s.app.Mail.ResetPassword(ctx, token, "a-brand-new-password", "a-brand-new-password", "127.0.0.50"); err != nil {
			t.Fatal(err)
		}

		// The intruder carries on with the sign-in started with the old
		// password.
		enrol, err := s.app.SignIn.ChallengeEnrolment(ctx, need.Token)
		if err != nil {
			if !errors.Is(err, auth.ErrChallengeGone) {
				t.Fatal(err)
			}
			return // the reset ended it, as it should
		}
		code, _ := totp.GenerateCode(enrol.Secret, time.Now())
		_, who, _, err := s.app.SignIn.ConfirmAtSignIn(ctx, need.Token, code, "198.51.100.7")
		if err == nil {
			t.Errorf("after the reset, the sign-in started with the old password opened a session as %s", who.Email)
		} else if !errors.Is(err, auth.ErrChallengeGone) {
			t.Fatal(err)
		}
	})
}

// An account that signs in only through single sign-on (linked to the
// provider, with local passwords off for such accounts) gets no reset
// link: its password would not sign it in anyway, and docs/mail.md
// promises the link only to accounts that sign in with a password.
func TestNoResetLinkForSingleSignOnOnlyAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		s := newSite(t, e, "smtp://127.0.0.1:1")
		ctx := context.Background()
		bo := s.user("bo", auth.Agent, "Bo Linked")
		// A provider is configured, local passwords are off for linked
		// accounts, and Bo's account (made with a password before single
		// sign-on came) was linked at Bo's first sign-in there.
		s.app.Identity.Cfg.OIDCIssuer = "https://login.example.test"
		if _, err := e.DB.Exec(ctx, "UPDATE identity_settings SET sso_only = TRUE WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		now := store.TS(time.Now())
		if _, err := e.DB.Exec(ctx, "INSERT INTO identity_links (issuer, subject, user_id, linked_at, last_sign_in) VALUES (?, ?, ?, ?, ?)",
			"https://login.example.test", "bo-subject", bo.UserID, now, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.app.SignIn.Login(ctx, "bo@mail.test", "a-long-password", "127.0.0.51"); !errors.Is(err, auth.ErrPasswordSignInOff) {
			t.Fatalf("Bo's password: %v, want refused as single sign-on only", err)
		}

		if err := s.app.Mail.RequestReset(ctx, "bo@mail.test", "127.0.0.50"); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Count(t, e.DB, "SELECT COUNT(*) FROM mail_outbox WHERE kind = 'password_reset'"); n != 0 {
			t.Errorf("%d reset links queued for an account that signs in only through single sign-on", n)
		}
	})
}
