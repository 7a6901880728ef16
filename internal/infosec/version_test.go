package infosec

import "testing"

func TestAffectedVersions(t *testing.T) {
	cases := []struct {
		spec, version string
		want          bool
	}{
		{"<2.1.4", "2.1.3", true},
		{"<2.1.4", "2.1.4", false},
		{"<2.1.4", "2.1.10", false}, // 10 after 4, as numbers
		{"<2.10", "2.9.9", true},
		{">=1.0 <1.4.3", "1.4.2", true},
		{">=1.0, <1.4.3", "0.9", false},
		{"1.0 - 1.4.2", "1.4.2", true},
		{"1.0 - 1.4.2", "1.4.2.1", false},
		{"1.4.x", "1.4.17", true},
		{"1.4.x", "1.40.0", false},
		{"1.4.*", "1.4", true},
		{"4.1.2", "v4.1.2", true},
		{"4.1.2", "4.1.2.0", true}, // a missing part is 0
		{"4.1.2", "4.1.3", false},
		{"<1.0 || 3.x", "3.2.1", true},
		{"<1.0; 3.x", "2.0", false},
		{"*", "0.0.1", true},
		{"<2.0", "", false},        // a device without a version is not judged
		{"<2.0", "unknown", false}, // nor one whose version is not a version
		{"<1.0", "1.0-rc1", true},  // a release candidate comes before its release
		{"<1.0", "1.0.1", false},
	}
	for _, c := range cases {
		got, err := Affects(c.spec, c.version)
		if err != nil || got != c.want {
			t.Errorf("%q affects %q: %v (%v), want %v", c.spec, c.version, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "latest", ">=", "1.0 -", "<x1", "a.x"} {
		if _, err := Affects(bad, "1.0"); err == nil {
			t.Errorf("%q read as an expression", bad)
		}
	}
}
