package catalog_test

import (
	"encoding/json"
	"errors"
	"testing"

	"steward/internal/catalog"
)

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]catalog.Cents{
		"0": 0, "12": 1200, "12.5": 1250, "12.05": 1205, " 1250.00 ": 125000, "99999999999": 9999999999900,
	} {
		got, err := catalog.ParseAmount(in)
		if err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.234", "1e3", "12.", ".5", "abc", "1,5", "1000000000000", "100000000000.01"} {
		if got, err := catalog.ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) = %d, want an error", in, got)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	for c, want := range map[catalog.Cents]string{0: "0.00", 5: "0.05", 125050: "1250.50", -250: "-2.50"} {
		b, _ := json.Marshal(c)
		if string(b) != want {
			t.Errorf("%d encodes as %s, want %s", int64(c), b, want)
		}
	}
	var in struct {
		Cost catalog.Amount `json:"cost"`
	}
	if err := json.Unmarshal([]byte(`{"cost": 12.50}`), &in); err != nil || in.Cost != "12.50" {
		t.Fatalf("number: %q, %v", in.Cost, err)
	}
	var typ *json.UnmarshalTypeError
	err := json.Unmarshal([]byte(`{"cost": "12.50"}`), &in)
	if !errors.As(err, &typ) || typ.Field != "cost" {
		t.Fatalf("a string amount: %v, want a type error naming the field", err)
	}
}
