package mail_test

import (
	"testing"

	"steward/internal/mail"
)

// The inbound side finds the record of a reply from the ids Steward wrote,
// and nothing else passes for one of them.
func TestOwnMessageIDs(t *testing.T) {
	for _, c := range []struct {
		id   string
		own  bool
		ref  string
		okay bool
	}{
		{"<steward.INC-000123.42.k3j5m2q8@desk.example.com>", true, "INC-000123", true},
		{"steward.REQ-000007.1.abc@desk.example.com", true, "REQ-000007", true},
		{"<steward.INC-000123@desk.example.com>", true, "INC-000123", true},
		{"<Steward.inc-000123@desk.example.com>", true, "INC-000123", true},
		{" <steward.42.k3j5m2q8@desk.example.com> ", true, "", false},
		{"<steward.INC-000123.42@desk.example.com>", false, "", false},
		{"<steward.INC-000123.x.abc@desk.example.com>", false, "", false},
		{"<steward.@desk.example.com>", false, "", false},
		{"<steward.INC-000123.42.abc>", false, "", false},
		{"<steward.INC-000123@desk example.com>", false, "", false},
		{"<CAF=abc123@mail.gmail.com>", false, "", false},
		{"<stewardship.INC-000123@x.com>", false, "", false},
		{"", false, "", false},
	} {
		if got := mail.IsOwnMessageID(c.id); got != c.own {
			t.Errorf("IsOwnMessageID(%q) = %v, want %v", c.id, got, c.own)
		}
		ref, ok := mail.RefFromMessageID(c.id)
		if ref != c.ref || ok != c.okay {
			t.Errorf("RefFromMessageID(%q) = %q, %v, want %q, %v", c.id, ref, ok, c.ref, c.okay)
		}
	}
	refs := "<CAF=abc@mail.gmail.com> <steward.71.zz@desk.example.com>\r\n <steward.CHG-000009@desk.example.com> <steward.INC-000001@x>"
	if ref, ok := mail.RefFromReferences(refs); !ok || ref != "CHG-000009" {
		t.Errorf("RefFromReferences = %q, %v, want the first record named, CHG-000009", ref, ok)
	}
	if _, ok := mail.RefFromReferences("<CAF=abc@mail.gmail.com>"); ok {
		t.Error("a References header without Steward's ids named a record")
	}
	if got := mail.ThreadID("INC-000123", "desk.example.com"); got != "steward.INC-000123@desk.example.com" {
		t.Errorf("ThreadID = %q", got)
	}
}
