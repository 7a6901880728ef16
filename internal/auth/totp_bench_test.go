package auth

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// BenchmarkCodeCheck is checking one six-digit code against a secret
// across the three time steps a code may come from (the worst case: a
// wrong code tries all three).
func BenchmarkCodeCheck(b *testing.B) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: "a@b.test"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for b.Loop() {
		matchStep(key.Secret(), "000000", now)
	}
}
