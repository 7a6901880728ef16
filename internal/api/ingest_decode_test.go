package api

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"testing"
	"unicode/utf8"

	"steward/internal/event"
)

// strictEvents decodes with encoding/json alone, as readEvents does when
// the fast decoder declines.
func strictEvents(t testing.TB, body []byte) ([]event.Input, bool, error) {
	t.Helper()
	raw := bytes.TrimLeft(body, " \t\r\n")
	r := httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader(raw))
	saved := fastOff
	fastOff = true
	defer func() { fastOff = saved }()
	return readEvents(httptest.NewRecorder(), r)
}

var decodeSeeds = []string{
	`{"ci":"a"}`,
	`[{"ci":"a","severity":"critical","action":"trigger"},{"source":"s","check":"c","resource":"r","metric":"m","dedup_key":"d","summary":"x","message_id":"1"}]`,
	` [ { "ci" : "a" , "labels" : { "k" : "v" , "k2":"" } } , {"labels":{}} ] `,
	`{"ci":"a","occurred_at":"2026-12-05T10:00:00.123456789+02:00"}`,
	`{"ci":"a","occurred_at":"2026-12-05T10:00:00Z","payload":{"v":[1,2.5e3,true,false,null,{"x":"y\"z"}]}}`,
	`{"ci":"a","payload":"text"}`, `{"ci":"a","payload":12}`, `{"ci":"a","payload":null}`, `{"ci":"a","payload":{"a":1,}}`,
	`{"ci":"a\u00e9"}`, `{"ci":"a\"b"}`, `{"CI":"a"}`, `{"ci":"a","colour":"red"}`, `{"ci":null}`, `{"ci":1}`,
	`{"ci":"a","labels":{"k":1}}`, `{"ci":"a","labels":null}`, `{"ci":"a","ci":"b"}`, `{"ci":"a","labels":{"k":"1","k":"2"}}`,
	`[]`, `[{}]`, `[{"ci":"a"},]`, `[{"ci":"a"}] x`, `{"ci":"a"}{}`, `[{"ci":"a"}`, `{"ci":"a","occurred_at":"yesterday"}`,
	`{"ci":"a","occurred_at":"2026-12-05T10:00:00+24:00"}`, `{"ci":"π","summary":"ünïcode"}`, `{"severity":"CRITICAL","action":"resolve"}`,
}

// The fast decoder accepts only what encoding/json accepts, with the same
// result; everything else goes to encoding/json.
func TestFastEventsAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range decodeSeeds {
		checkFast(t, []byte(s))
	}
}

func FuzzFastEvents(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFast(t, body) })
}

func checkFast(t *testing.T, body []byte) {
	t.Helper()
	if !utf8.Valid(body) {
		return // refused before either decoder runs
	}
	ins, batch, ok := fastEvents(bytes.TrimLeft(body, " \t\r\n"))
	if !ok {
		return
	}
	want, wantBatch, err := strictEvents(t, body)
	if err != nil {
		t.Fatalf("fast decoding accepted %q, encoding/json refuses it: %v", body, err)
	}
	if batch != wantBatch || !reflect.DeepEqual(normalizeRaw(ins), normalizeRaw(want)) {
		t.Fatalf("%q:\nfast   %+v\nstrict %+v", body, ins, want)
	}
}

// normalizeRaw compares payloads by their bytes, and times by instant.
func normalizeRaw(ins []event.Input) []event.Input {
	out := make([]event.Input, len(ins))
	for i, in := range ins {
		if in.Payload != nil {
			in.Payload = append([]byte(nil), in.Payload...)
		}
		if in.OccurredAt != nil {
			t := in.OccurredAt.UTC()
			in.OccurredAt = &t
		}
		out[i] = in
	}
	return out
}
