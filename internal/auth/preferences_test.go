package auth_test

import (
	"context"
	"errors"
	"testing"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store/storetest"
)

func TestPreferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		ctx := context.Background()
		db := e.DB
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Email: "kim@example.com", Name: "Kim", Role: auth.Agent, Password: "a-long-password"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := auth.PreferencesOf(ctx, db, u.ID)
		if err != nil || p != (auth.Preferences{}) || p.Location().String() != "UTC" {
			t.Fatalf("nothing chosen yet: %+v %v", p, err)
		}

		// The browser's zone is taken while none is chosen, and only then.
		if err := auth.AdoptTimeZone(ctx, db, u.ID, "not a zone"); err != nil {
			t.Fatal(err)
		}
		if p, _ := auth.PreferencesOf(ctx, db, u.ID); p.TimeZone != "" {
			t.Errorf("a wrong zone name was adopted: %+v", p)
		}
		if err := auth.AdoptTimeZone(ctx, db, u.ID, "Asia/Tokyo"); err != nil {
			t.Fatal(err)
		}
		if err := auth.AdoptTimeZone(ctx, db, u.ID, "Europe/Paris"); err != nil {
			t.Fatal(err)
		}
		if p, _ := auth.PreferencesOf(ctx, db, u.ID); p.TimeZone != "Asia/Tokyo" {
			t.Errorf("after two sign-ins from two zones: %+v, want the first kept", p)
		}

		// Choosing on the profile.
		for _, bad := range []auth.Preferences{{TimeZone: "Mars/Olympus", Locale: "en-GB"}, {TimeZone: "", Locale: "en-GB"},
			{TimeZone: "Local", Locale: "en-GB"}, {TimeZone: "Europe/Berlin", Locale: "tlh"}} {
			_, err := auth.SetPreferences(ctx, db, audit.System, u.ID, bad)
			var inv *domainerr.Invalid
			if !errors.As(err, &inv) || len(inv.Fields) != 1 {
				t.Errorf("%+v: %v, want one field error", bad, err)
			}
		}
		if _, err := auth.SetPreferences(ctx, db, audit.System, u.ID, auth.Preferences{TimeZone: " America/New_York ", Locale: "en-US"}); err != nil {
			t.Fatal(err)
		}
		p, _ = auth.PreferencesOf(ctx, db, u.ID)
		if p.TimeZone != "America/New_York" || p.Locale != "en-US" || p.Location().String() != "America/New_York" {
			t.Errorf("saved: %+v", p)
		}
		if err := auth.AdoptTimeZone(ctx, db, u.ID, "Asia/Tokyo"); err != nil {
			t.Fatal(err)
		}
		if p, _ := auth.PreferencesOf(ctx, db, u.ID); p.TimeZone != "America/New_York" {
			t.Errorf("a sign-in overrode the chosen zone: %+v", p)
		}
	})
}
