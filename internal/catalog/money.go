package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Cents is an amount of money in hundredths of the currency unit. It is
// stored as a whole number and written in JSON as a number with two
// decimals (1250.00), so no amount is ever rounded on its way.
type Cents int64

// MaxCents bounds an amount: a hundred billion units a month is more than
// any service costs, and far inside int64.
const MaxCents Cents = 100_000_000_000_00

// String writes c with two decimals, e.g. 1250.00.
func (c Cents) String() string {
	sign := ""
	n := int64(c)
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// MarshalJSON writes c as a JSON number with two decimals.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// Amount is a money amount as a client sent it: the text of a JSON number,
// checked by ParseAmount where the other fields are validated, so that a
// bad amount is reported next to them instead of as unreadable JSON.
type Amount string

// UnmarshalJSON accepts JSON numbers only; null leaves the amount as it is.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeFor[float64]()}
	}
	*a = Amount(b)
	return nil
}

// errAmount explains what an amount must look like.
var errAmount = errors.New("must be an amount with at most two decimals, such as 1250.00")

// ParseAmount reads an amount such as "1250", "1250.5" or "1250.50" into
// cents. It refuses negative amounts, exponents, more than two decimals
// and amounts above MaxCents.
func ParseAmount(s string) (Cents, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("must not be negative")
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || !digits(whole) || (hasFrac && (frac == "" || len(frac) > 2 || !digits(frac))) {
		return 0, errAmount
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, errAmount
	}
	if Cents(n) > MaxCents {
		return 0, fmt.Errorf("must be at most %s", MaxCents)
	}
	return Cents(n), nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
