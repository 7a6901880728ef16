package cost

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// MaxAmount bounds one amount in minor units: ten trillion cents is far
// beyond what a service costs in a year, and sums of many stay inside
// int64.
const MaxAmount int64 = 10_000_000_000_000

// Money is an amount in the minor units of an ISO 4217 currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// CheckCurrency reads an ISO 4217 code (any letter case) and returns it in
// capitals.
func CheckCurrency(code string) (string, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != 3 {
		return "", fmt.Errorf("must be a three-letter ISO 4217 code such as EUR or USD")
	}
	u, err := currency.ParseISO(code)
	if err != nil || u.String() == "XXX" {
		return "", fmt.Errorf("%s is not an ISO 4217 currency code", code)
	}
	return u.String(), nil
}

// Digits is how many minor-unit digits a currency has: 2 for EUR, 0 for
// JPY, 3 for BHD.
func Digits(code string) int {
	u, err := currency.ParseISO(code)
	if err != nil {
		return 2
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale
}

// Format writes an amount of minor units with its currency's decimals and
// thousands separated: 1,234.56 EUR.
func Format(amount int64, code string) string {
	d := Digits(code)
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	s := strconv.FormatInt(amount, 10)
	for len(s) <= d {
		s = "0" + s
	}
	whole, frac := s[:len(s)-d], s[len(s)-d:]
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if d > 0 {
		b.WriteString("." + frac)
	}
	return sign + b.String() + " " + code
}

// ParseMajor reads an amount written in major units with at most the
// currency's decimals (1234.5 EUR) and gives its minor units.
func ParseMajor(s, code string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	d := Digits(code)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasFrac && (frac == "" || !allDigits(frac))) || len(whole) > 14 {
		return 0, fmt.Errorf("must be an amount such as 1250.00, not negative")
	}
	if len(frac) > d {
		return 0, fmt.Errorf("has more decimals than %s has (%d)", code, d)
	}
	for len(frac) < d {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > MaxAmount {
		return 0, fmt.Errorf("must be at most %s", Format(MaxAmount, code))
	}
	return n, nil
}

// MajorString writes minor units as a plain decimal for a form field.
func MajorString(amount int64, code string) string {
	f := Format(amount, code)
	return strings.ReplaceAll(strings.TrimSuffix(f, " "+code), ",", "")
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// RateScale is the fixed point of exchange rates: a rate of 1.085 is kept
// as 1,085,000.
const RateScale = 1_000_000

// ParseRate reads an exchange rate such as 1.0845 (at most six decimals).
func ParseRate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) || len(frac) > 6 || len(whole) > 9 {
		return 0, fmt.Errorf("must be a positive number with at most six decimals, such as 1.0845")
	}
	for len(frac) < 6 {
		frac += "0"
	}
	n, _ := strconv.ParseInt(whole+frac, 10, 64)
	if n <= 0 {
		return 0, fmt.Errorf("must be more than zero")
	}
	return n, nil
}

// RateString writes a rate kept in millionths.
func RateString(micros int64) string {
	s := fmt.Sprintf("%d.%06d", micros/RateScale, micros%RateScale)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// convert turns minor units of from into minor units of to at a rate in
// millionths, rounding half away from zero.
func convert(amount int64, from, to string, rateMicros int64) int64 {
	num := new(big.Int).Mul(big.NewInt(amount), big.NewInt(rateMicros))
	num.Mul(num, pow10(Digits(to)))
	den := new(big.Int).Mul(big.NewInt(RateScale), pow10(Digits(from)))
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(r.Abs(r), big.NewInt(2)).Cmp(den) >= 0 {
		if amount < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// spread divides total over n parts that differ by at most one minor unit
// and add up to total exactly: part k gets floor(total*(k+1)/n) -
// floor(total*k/n).
func spread(total int64, n int) []int64 {
	out := make([]int64, n)
	var prev int64
	for k := range n {
		next := new(big.Int).Div(new(big.Int).Mul(big.NewInt(total), big.NewInt(int64(k+1))), big.NewInt(int64(n))).Int64()
		out[k], prev = next-prev, next
	}
	return out
}

// byWeights divides total in proportion to weights, largest remainders
// first (ties to the earlier), so the parts add up to total exactly. All
// weights zero gives all parts zero.
func byWeights(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum == 0 {
		return out
	}
	rem := make([]int64, len(weights))
	var given int64
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(total), big.NewInt(w)), big.NewInt(sum), new(big.Int))
		out[i], rem[i] = q.Int64(), r.Int64()
		given += out[i]
	}
	for left := total - given; left > 0; left-- {
		best := -1
		for i := range rem {
			if rem[i] >= 0 && (best < 0 || rem[i] > rem[best]) {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}
