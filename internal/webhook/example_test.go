package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"steward/internal/webhook"
)

// verifySteward is how a receiver written in Go checks a delivery: the
// HMAC of "timestamp.body" with the secret, compared in constant time,
// and a timestamp no older than five minutes (against replays).
func verifySteward(secret, timestamp, signature string, body []byte, now time.Time) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || math.Abs(now.Sub(time.Unix(ts, 0)).Seconds()) > 300 {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(signature), []byte(want))
}

func Example_verify() {
	secret, body := "whsec_example-secret-0123456789", []byte(`{"id":42,"kind":"record.created","delivery_id":7}`)
	now := time.Unix(1767225600, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := webhook.Sign(secret, ts, body) // what Steward sends as X-Steward-Signature
	fmt.Println(verifySteward(secret, ts, sig, body, now))
	fmt.Println(verifySteward("another-secret-0123456789", ts, sig, body, now))
	fmt.Println(verifySteward(secret, ts, sig, body, now.Add(time.Hour)))
	// Output:
	// true
	// false
	// false
}
