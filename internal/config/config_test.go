package config

import (
	"flag"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	serve := func(args ...string) (Config, error) {
		var c Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Server(fs)
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		return c, c.Validate()
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}

	c, err := serve()
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("by default: %v %v, want no trusted proxies", c.TrustedProxies, err)
	}
	c, err = serve("--trusted-proxies", "10.1.2.3/8, 192.0.2.7 2001:db8::/32")
	if err != nil || !slices.Equal(c.TrustedProxies, want) {
		t.Fatalf("from the flag: %v %v", c.TrustedProxies, err)
	}
	t.Setenv("STEWARD_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.7,2001:db8::/32")
	if c, err = serve(); err != nil || !slices.Equal(c.TrustedProxies, want) {
		t.Fatalf("from the environment: %v %v", c.TrustedProxies, err)
	}
	if _, err = serve("--trusted-proxies", "10.0.0.0/33"); err == nil || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Fatalf("a bad range: %v", err)
	}
	t.Setenv("STEWARD_TRUSTED_PROXIES", "proxy.example")
	if _, err = serve(); err == nil || !strings.Contains(err.Error(), "STEWARD_TRUSTED_PROXIES") {
		t.Fatalf("a bad environment: %v", err)
	}
}

func TestTLSNeedsCertificateAndKey(t *testing.T) {
	for _, c := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true},
		{Config{TLSCert: "cert.pem", TLSKey: "key.pem"}, true},
		{Config{TLSCert: "cert.pem"}, false},
		{Config{TLSKey: "key.pem"}, false},
	} {
		c.cfg.CookieSecure, c.cfg.LogLevel, c.cfg.LogFormat, c.cfg.SQLiteSynchronous = "auto", "info", "text", "normal"
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("cert %q key %q: %v", c.cfg.TLSCert, c.cfg.TLSKey, err)
		}
	}
}

// The organisation's time zone is an IANA name; a typo stops the start
// rather than shifting every KPI period by hours.
func TestTimeZone(t *testing.T) {
	serve := func(args ...string) (Config, error) {
		var c Config
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.Server(fs)
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		return c, c.Validate()
	}
	c, err := serve()
	if err != nil || c.Location().String() != "UTC" {
		t.Fatalf("by default: %v %v, want UTC", c.Location(), err)
	}
	c, err = serve("--time-zone", "Europe/Berlin")
	if err != nil || c.Location().String() != "Europe/Berlin" {
		t.Fatalf("from the flag: %v %v", c.Location(), err)
	}
	t.Setenv("STEWARD_TIME_ZONE", "America/New_York")
	if c, err = serve(); err != nil || c.Location().String() != "America/New_York" {
		t.Fatalf("from the environment: %v %v", c.Location(), err)
	}
	if _, err = serve("--time-zone", "Europe/Berlinn"); err == nil || !strings.Contains(err.Error(), "Europe/Berlinn") {
		t.Fatalf("a zone that does not exist: %v", err)
	}
}
