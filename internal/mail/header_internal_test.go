package mail

import "testing"

// Text that goes into a header keeps to one line, whatever it holds.
func TestHeaderText(t *testing.T) {
	for in, want := range map[string]string{
		"Printer jams":                          "Printer jams",
		"Broken\r\nBcc: evil@x.test":            "Broken Bcc: evil@x.test",
		"a\rb\nc\td\u2028e\u0085f\x00g":         "a b c d e f g",
		"  spaced   out  ":                      "spaced out",
		"Grüße aus Köln":                        "Grüße aus Köln",
		"\r\n\r\nSubject: injected\r\n\r\nbody": "Subject: injected body",
	} {
		if got := headerText(in, 100); got != want {
			t.Errorf("headerText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := headerText("abcdefghij", 5); got != "abcd…" {
		t.Errorf("cut to 5: %q", got)
	}
}
