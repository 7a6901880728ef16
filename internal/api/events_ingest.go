package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
	"steward/internal/store"
)

// MaxEventsBody caps a body of POST /api/v1/events: a full batch of
// events with their labels and payloads fits well inside it.
const MaxEventsBody = 8 << 20

// eventIngestRoutes are the senders' endpoints, authenticated by an
// integration's routing key rather than a user's token, and the
// integrations themselves (integrations.go).
func eventIngestRoutes(a *API, rt *httpx.Router, svc *event.Service) {
	in := ingestHandlers{a: a, svc: svc}
	rt.Handle("POST /api/v1/events", auth.Public, in.events)
	rt.Handle("POST /v2/enqueue", auth.Public, in.pagerDuty)
	rt.Handle("POST /api/v1/webhooks/alertmanager", auth.Public, in.alertmanager)
	// Any other method on the receiver's path is told it takes POST, rather
	// than falling to the outbound webhooks' /api/v1/webhooks/{id}.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		rt.Mux.HandleFunc(m+" /api/v1/webhooks/alertmanager", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Alertmanager's receiver takes POST only.", nil)
		})
	}
	integrationRoutes(a, rt, svc)
}

type ingestHandlers struct {
	a   *API
	svc *event.Service
}

// senderFault is a sender's routing key that is missing, unknown or of
// another kind: a 401 or 403 saying which.
type senderFault struct {
	status int
	msg    string
}

func (f *senderFault) Error() string { return f.msg }

// integrationFor finds the active integration of kind whose routing key
// is key.
func (h ingestHandlers) integrationFor(r *http.Request, key string, kind event.Kind, where string) (event.Integration, error) {
	if key == "" {
		return event.Integration{}, &senderFault{http.StatusUnauthorized, "send the routing key of an active " + string(kind) + " integration in " + where}
	}
	it, err := h.svc.ByKey(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		return it, &senderFault{http.StatusUnauthorized, "the routing key is not that of an active integration"}
	}
	if err != nil {
		return it, err
	}
	if it.Kind != kind {
		return it, &senderFault{http.StatusForbidden, fmt.Sprintf("the routing key belongs to %s integration; %s", it.Kind.Label(), kindEndpoint(it.Kind))}
	}
	return it, nil
}

func kindEndpoint(k event.Kind) string {
	switch k {
	case event.KindHTTP:
		return "its events go to POST /api/v1/events with the X-Routing-Key header"
	case event.KindPagerDuty:
		return "its events go to POST /v2/enqueue"
	case event.KindAlertmanager:
		return "its events go to POST /api/v1/webhooks/alertmanager with ?key=... or Authorization: Bearer ..."
	}
	return "Steward reads its events from the broker"
}

// refuse answers a sender's request that stored nothing.
func (h ingestHandlers) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var sf *senderFault
	var big *tooLarge
	switch {
	case errors.As(err, &sf):
		code := "unauthorized"
		if sf.status == http.StatusForbidden {
			code = "forbidden"
		}
		writeError(w, sf.status, code, sf.msg, nil)
	case errors.As(err, new(*batchTooLarge)):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
	case errors.As(err, &big):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf(
			"request body is larger than %d MB; send fewer events in one request, or smaller labels and payloads", big.limit>>20), nil)
	default:
		h.a.fail(w, r, err)
	}
}

// events takes one event or a batch of up to event.MaxBatch. A batch is
// stored whole or not at all: one invalid event refuses the batch, so a
// sender can fix it and send it again without storing any event twice.
func (h ingestHandlers) events(w http.ResponseWriter, r *http.Request) {
	it, err := h.integrationFor(r, r.Header.Get("X-Routing-Key"), event.KindHTTP, "the X-Routing-Key header")
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	ins, batch, err := readEvents(w, r)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	prefix := ""
	if batch {
		prefix = "events"
	}
	evs, err := normalizeAll(it.ID, ins, prefix, time.Now().UTC())
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	res, err := h.svc.Ingest(r.Context(), evs)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, ingestBody{Accepted: res.Accepted, Duplicates: res.Duplicates})
}

type ingestBody struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// readEvents reads a body holding one event object or an array of them
// (batch true), strictly: unknown fields, wrong types, trailing data,
// text that is not UTF-8 and more than event.MaxBatch events are refused
// naming the event at fault.
func readEvents(w http.ResponseWriter, r *http.Request) ([]event.Input, bool, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, false, &malformed{msg: "Content-Type must be application/json"}
		}
	}
	raw, err := readBody(w, r, MaxEventsBody)
	if err != nil {
		return nil, false, err
	}
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return nil, false, &malformed{msg: "request body is empty; send an event object or an array of up to " + strconv.Itoa(event.MaxBatch)}
	}
	if !utf8.Valid(raw) {
		return nil, false, &malformed{msg: "request body is not valid UTF-8"}
	}
	if ins, batch, ok := fastEvents(raw); ok {
		return ins, batch, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if raw[0] != '[' {
		if raw[0] != '{' && json.Valid(raw) {
			return nil, false, &malformed{msg: notEvents}
		}
		ins := make([]event.Input, 1)
		if err := dec.Decode(&ins[0]); err != nil {
			return nil, false, inputError(err)
		}
		return ins, false, trailing(dec)
	}
	dec.Token() // the '['
	ins := make([]event.Input, 0, min(event.MaxBatch, len(raw)/64+1))
	for dec.More() {
		if len(ins) == event.MaxBatch {
			return nil, true, &batchTooLarge{}
		}
		var one json.RawMessage
		if err := dec.Decode(&one); err != nil {
			return nil, true, atEvent(len(ins), jsonError(err))
		}
		if one[0] != '{' {
			return nil, true, atEvent(len(ins), &malformed{msg: "must be an event object"})
		}
		ins = append(ins, event.Input{})
		one1 := json.NewDecoder(bytes.NewReader(one))
		one1.DisallowUnknownFields()
		if err := one1.Decode(&ins[len(ins)-1]); err != nil {
			return nil, true, atEvent(len(ins)-1, inputError(err))
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, true, jsonError(err)
	}
	if len(ins) == 0 {
		return nil, true, &malformed{msg: "the batch is empty; send at least one event"}
	}
	return ins, true, trailing(dec)
}

// notEvents is the refusal of a body that is JSON but neither an event
// nor a batch (null, a number, a string).
const notEvents = "the body must be an event object or an array of them"

var inputType = reflect.TypeOf(event.Input{})

// inputError explains an error decoding one event, naming its field:
// occurred_at is the event's only time.
func inputError(err error) error {
	var pe *time.ParseError
	if errors.As(err, &pe) || strings.Contains(err.Error(), "Time.UnmarshalJSON") {
		return &malformed{msg: "occurred_at: " + timeHint, fields: map[string]string{"occurred_at": timeHint}}
	}
	return decodeError(err, nil, inputType)
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &tooLarge{limit: limit}
	}
	return raw, err
}

func trailing(dec *json.Decoder) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &malformed{msg: "request body must hold one event object or one array of events, and nothing after it"}
	}
	return nil
}

// batchTooLarge is a batch over event.MaxBatch: a 413.
type batchTooLarge struct{}

func (*batchTooLarge) Error() string {
	return "a batch holds at most " + strconv.Itoa(event.MaxBatch) + " events; send the rest in another request"
}

// atEvent names the event of a batch that a decoding error is about.
func atEvent(i int, err error) error {
	var bad *malformed
	if !errors.As(err, &bad) {
		return err
	}
	prefix := fmt.Sprintf("events[%d]", i)
	out := &malformed{msg: prefix + ": " + bad.msg}
	if len(bad.fields) > 0 {
		out.fields = map[string]string{}
		for f, m := range bad.fields {
			out.fields[prefix+"."+f] = m
			if len(bad.fields) == 1 {
				out.msg = prefix + "." + f + ": " + m
			}
		}
	}
	return out
}

// maxReported bounds how many faults one refusal lists.
const maxReported = 50

// normalizeAll checks every event; when any is invalid, none is kept and
// the error names each field at fault as prefix[i].field (field alone
// for a single event, with no prefix).
func normalizeAll(integrationID int64, ins []event.Input, prefix string, now time.Time) ([]event.Event, error) {
	batch := prefix != ""
	evs := make([]event.Event, len(ins))
	var bad *domainerr.Invalid
	failed := 0
	for i := range ins {
		e, err := event.Normalize(integrationID, ins[i], now)
		if err == nil {
			evs[i] = e
			continue
		}
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) {
			return nil, err
		}
		failed++
		if bad == nil {
			bad = domainerr.NewInvalid()
		}
		for f, m := range inv.Fields {
			if len(bad.Fields) >= maxReported {
				break
			}
			if batch {
				f = fmt.Sprintf("%s[%d].%s", prefix, i, f)
			}
			bad.Fields[f] = m
		}
	}
	if bad == nil {
		return evs, nil
	}
	if batch {
		bad.Message = fmt.Sprintf("%d of %d %s are not valid; none was stored", failed, len(ins), prefix)
		first := make([]string, 0, len(bad.Fields))
		for f := range bad.Fields {
			first = append(first, f)
		}
		sort.Strings(first)
		bad.Message += " (" + first[0] + ": " + bad.Fields[first[0]] + ")"
	} else {
		bad.Message = "the event is not valid; it was not stored"
	}
	return nil, bad
}
