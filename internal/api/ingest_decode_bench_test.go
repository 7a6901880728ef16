package api

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The request path of POST /api/v1/events without the database: reading,
// decoding and checking a batch of 1,000 events.
//
//	go test -run '^$' -bench DecodeEvents ./internal/api/
func BenchmarkDecodeEvents(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := range 1000 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"source":"fleet","ci":"dev-%05d","check":"temperature","metric":"celsius","severity":"warning","summary":"Temperature on dev-%05d",`+
			`"message_id":"m-%d","labels":{"site":"north-%d","model":"TX-100"},"payload":{"value":%d}}`, i, i, i, i%50, 20+i%30)
	}
	sb.WriteString("]")
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	start := time.Now()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader(body))
		ins, _, err := readEvents(httptest.NewRecorder(), r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := normalizeAll(1, ins, "events", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "events/s")
}
