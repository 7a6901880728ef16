package event

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
)

// A broker address may carry a user and password
// (tcp://fleetuser:secret@broker:1883). Steward keeps the password to
// connect, and shows it nowhere: answers, pages, audit records, status
// text and logs all carry the address with the password as RedactedPassword.

// RedactedPassword stands for a broker password wherever an address is shown.
const RedactedPassword = "xxxxx"

// RedactURL returns raw with the password of its user information
// replaced by RedactedPassword; an address without one is returned as it is.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return RedactText(raw)
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	return u.Redacted()
}

// userinfoPassword finds "scheme://user:password@" inside free text, such
// as a client library's connection error.
var userinfoPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s/]*@`)

// RedactText hides the password of every address written inside s.
func RedactText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfoPassword.ReplaceAllString(s, "${1}:"+RedactedPassword+"@")
}

// Redacted is the configuration as it may be shown: the address without
// its password.
func (c Config) Redacted() Config {
	c.URL = RedactURL(c.URL)
	return c
}

// Redacted is the integration as it may be shown: its broker address
// and connection status without a password.
func (it Integration) Redacted() Integration {
	it.Config = it.Config.Redacted()
	it.Status = RedactText(it.Status)
	return it
}

// MarshalJSON writes the integration as it may be shown, so no answer
// carries a broker password.
func (it Integration) MarshalJSON() ([]byte, error) {
	type shown Integration
	return json.Marshal(shown(it.Redacted()))
}

// keepPassword gives back the stored password when an address sent in a
// change is the shown, redacted form of the stored one (same scheme,
// user, host and path, password RedactedPassword): an edit that leaves the
// address alone, or changes only its host or port, keeps the password.
func keepPassword(stored, sent string) string {
	su, err := url.Parse(stored)
	if err != nil {
		return sent
	}
	pw, ok := su.User.Password()
	if !ok {
		return sent
	}
	nu, err := url.Parse(strings.TrimSpace(sent))
	if err != nil || nu.User == nil {
		return sent
	}
	if p, ok := nu.User.Password(); !ok || p != RedactedPassword || nu.User.Username() != su.User.Username() {
		return sent
	}
	nu.User = url.UserPassword(su.User.Username(), pw)
	return nu.String()
}
