package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"steward/internal/event"
)

// MaxPagerDutyBody is PagerDuty's own limit on one event.
const MaxPagerDutyBody = 512 << 10

type pagerDutyAnswer struct {
	Status   string   `json:"status"`
	Message  string   `json:"message"`
	DedupKey string   `json:"dedup_key,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

func pagerDutyInvalid(w http.ResponseWriter, status int, errs ...string) {
	writeJSON(w, status, pagerDutyAnswer{Status: "invalid event", Message: "Event object is invalid", Errors: errs})
}

// pagerDuty takes an event of PagerDuty's Events API v2 and answers as
// PagerDuty does, so that its senders need only a new URL: 202 with the
// dedup key the event got, or 400 with the errors. The routing key is the
// body's routing_key (or the X-Routing-Key header) of a pagerduty
// integration.
func (h ingestHandlers) pagerDuty(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(w, r, MaxPagerDutyBody)
	if err != nil {
		var big *tooLarge
		if errors.As(err, &big) {
			pagerDutyInvalid(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the event is larger than %d KB", MaxPagerDutyBody>>10))
			return
		}
		h.a.fail(w, r, err)
		return
	}
	var pd event.PagerDutyEvent
	if err := json.Unmarshal(raw, &pd); err != nil {
		var syn *json.SyntaxError
		msg := "the body is not a JSON event object"
		if len(raw) == 0 {
			msg = "the body is empty; send a JSON event object"
		} else if errors.As(err, &syn) {
			msg = fmt.Sprintf("malformed JSON at byte %d", syn.Offset)
		}
		pagerDutyInvalid(w, http.StatusBadRequest, msg)
		return
	}
	key := pd.RoutingKey
	if key == "" {
		key = r.Header.Get("X-Routing-Key")
	}
	it, err := h.integrationFor(r, key, event.KindPagerDuty, "routing_key")
	if err != nil {
		var sf *senderFault
		if !errors.As(err, &sf) {
			h.a.fail(w, r, err)
			return
		}
		msg := "Invalid routing key"
		if sf.status == http.StatusForbidden {
			msg += ": " + sf.msg
		}
		pagerDutyInvalid(w, http.StatusBadRequest, msg)
		return
	}
	in, errs := event.PagerDutyInput(pd)
	if len(errs) > 0 {
		pagerDutyInvalid(w, http.StatusBadRequest, errs...)
		return
	}
	e, err := event.Normalize(it.ID, in, time.Now().UTC())
	if err != nil {
		pagerDutyInvalid(w, http.StatusBadRequest, event.PagerDutyErrors(err)...)
		return
	}
	if _, err := h.svc.Ingest(r.Context(), []event.Event{e}); err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, pagerDutyAnswer{Status: "success", Message: "Event processed", DedupKey: e.DedupKey})
}

// alertmanager is the receiver of Prometheus Alertmanager's webhook: each
// alert of the group is one event (see event.AlertmanagerInputs). The
// routing key of an alertmanager integration comes in ?key=, or as
// "Authorization: Bearer KEY", which Alertmanager sends from a
// webhook_config's http_config.authorization and keeps out of URLs that
// proxies log. Fields Alertmanager may add in later versions are ignored.
func (h ingestHandlers) alertmanager(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" {
		if scheme, cred, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok && strings.EqualFold(scheme, "Bearer") {
			key = strings.TrimSpace(cred)
		}
	}
	it, err := h.integrationFor(r, key, event.KindAlertmanager, "the key query parameter (?key=...) or an Authorization: Bearer header")
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	raw, err := readBody(w, r, MaxEventsBody)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	var m event.AlertmanagerMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		h.refuse(w, r, jsonError(err))
		return
	}
	now := time.Now().UTC()
	evs, err := normalizeAll(it.ID, event.AlertmanagerInputs(m, now), "alerts", now)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	res, err := h.svc.Ingest(r.Context(), evs)
	if err != nil {
		h.a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ingestBody{Accepted: res.Accepted, Duplicates: res.Duplicates})
}
