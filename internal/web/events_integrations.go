package web

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/event"
	"steward/internal/httpx"
	"steward/internal/i18n"
)

// integrationPages list the integrations that send events, create them,
// and show a routing key the one time it exists: right after creation or
// rotation, in the answer to that form rather than after a redirect.
func integrationPages(wb *Web, rt *httpx.Router, svc *event.Service) {
	h := integrationWeb{wb: wb, svc: svc}
	rt.Handle("GET /integrations", event.PermRead, h.list)
	rt.Handle("GET /integrations/new", event.PermAdmin, h.newForm)
	wb.post(rt, "POST /integrations", event.PermAdmin, h.create)
	rt.Handle("GET /integrations/{id}", event.PermRead, h.show)
	rt.Handle("GET /integrations/{id}/edit", event.PermAdmin, h.editForm)
	wb.post(rt, "POST /integrations/{id}/edit", event.PermAdmin, h.update)
	wb.post(rt, "POST /integrations/{id}/rotate-key", event.PermAdmin, h.rotate)
	wb.post(rt, "POST /integrations/{id}/deactivate", event.PermAdmin, h.setActive(false))
	wb.post(rt, "POST /integrations/{id}/activate", event.PermAdmin, h.setActive(true))
}

type integrationWeb struct {
	wb  *Web
	svc *event.Service
}

type integrationsView struct {
	Items []event.Integration
}

func (h integrationWeb) list(w http.ResponseWriter, r *http.Request) {
	items, err := h.svc.Integrations(r.Context())
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for i := range items {
		items[i] = items[i].Redacted()
	}
	h.wb.render(w, r, http.StatusOK, "integrations", page{Title: "Integrations", Active: "integrations", Data: integrationsView{Items: items}})
}

type integrationFormView struct {
	Kinds []event.Kind
	F     *fieldErrors
}

func (h integrationWeb) newForm(w http.ResponseWriter, r *http.Request) {
	h.showForm(w, r, http.StatusOK, nil)
}

func (h integrationWeb) showForm(w http.ResponseWriter, r *http.Request, status int, f *fieldErrors) {
	h.wb.render(w, r, status, "integration_new", page{Title: "New integration", Active: "integrations",
		Data: integrationFormView{Kinds: event.Kinds, F: f}})
}

func (h integrationWeb) create(w http.ResponseWriter, r *http.Request) {
	in := event.NewIntegration{Name: r.PostFormValue("name"), Kind: event.Kind(r.PostFormValue("kind"))}
	if in.Kind.Broker() {
		in.URL = r.PostFormValue("url")
		if in.Kind == event.KindMQTT {
			in.Topics = formLines(r, "topics")
		} else {
			in.Stream, in.Subjects = r.PostFormValue("stream"), formLines(r, "subjects")
		}
	}
	if in.Kind.Broker() {
		m, bad := parseMappingIn(h.wb.clockOf(r).text(), formText(r, "mapping"))
		if bad != "" {
			h.showForm(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "integration", Errs: map[string]string{"mapping": bad}, Values: r.PostForm})
			return
		}
		in.Mapping = m
	}
	it, err := h.svc.CreateIntegration(r.Context(), httpx.Principal(r), in)
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.showKey(w, r, it, true)
	case errors.As(err, &inv):
		h.showForm(w, r, http.StatusUnprocessableEntity, &fieldErrors{Form: "integration", Errs: inv.Fields, Values: r.PostForm})
	default:
		h.wb.fail(w, r, err)
	}
}

// integrationView is one integration's page; Key is set only in the
// answer that created or rotated it.
type integrationView struct {
	It       event.Integration
	Key      string
	Created  bool
	Examples []integrationExample
	Mapping  string
}

type integrationExample struct {
	Title, Text string
}

func (h integrationWeb) show(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	it, err := h.svc.Integration(r.Context(), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showKey(w, r, it, false)
}

func (h integrationWeb) showKey(w http.ResponseWriter, r *http.Request, it event.Integration, created bool) {
	it = it.Redacted()
	key := it.RoutingKey
	shown := key
	if shown == "" {
		shown = "YOUR-ROUTING-KEY"
	}
	v := integrationView{It: it, Key: key, Created: created, Examples: integrationExamples(h.wb.clockOf(r).text(), baseURL(r), it, shown), Mapping: mappingLines(it.Mapping)}
	h.wb.render(w, r, http.StatusOK, "integration", page{Title: it.Name, Active: "integrations", Data: v})
}

func (h integrationWeb) rotate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	it, err := h.svc.RotateKey(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.showKey(w, r, it, false)
}

func (h integrationWeb) setActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r)
		if !ok {
			h.wb.errorPage(w, r, http.StatusNotFound, "")
			return
		}
		var err error
		if active {
			_, err = h.svc.UpdateIntegration(r.Context(), httpx.Principal(r), id, event.IntegrationPatch{Active: &active}, 0)
		} else {
			_, err = h.svc.Deactivate(r.Context(), httpx.Principal(r), id)
		}
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		flash := "integration_deactivated"
		if active {
			flash = "integration_activated"
		}
		h.wb.redirect(w, r, "/integrations/"+strconv.FormatInt(id, 10), flash)
	}
}

// formLines reads a textarea of one value a line, without blank lines.
func formLines(r *http.Request, name string) []string {
	var out []string
	for _, l := range strings.Split(formText(r, name), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// parseMapping reads a payload mapping written one rule a line:
// "ci = data.device" maps a field, "severity ALARM = critical" and
// "action CLEAR = resolve" translate values. It returns nil for none, or
// the first line it cannot read.
func parseMapping(text string) (*event.Mapping, string) {
	return parseMappingIn(i18n.For(i18n.Default), text)
}

// parseMappingIn is parseMapping with its refusals in the reader's words.
func parseMappingIn(tx i18n.Text, text string) (*event.Mapping, string) {
	m := &event.Mapping{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		left, right, ok := strings.Cut(line, "=")
		left, right = strings.TrimSpace(left), strings.TrimSpace(right)
		if !ok || left == "" || right == "" {
			return nil, tx.T("web.events_integrations.mapping_form", "Line", i+1)
		}
		switch kind, from, _ := strings.Cut(left, " "); kind {
		case "severity", "action":
			if from = strings.TrimSpace(from); from == "" {
				m.Fields = setKey(m.Fields, kind, right)
			} else if kind == "severity" {
				m.Severities = setKey(m.Severities, from, event.Severity(right))
			} else {
				m.Actions = setKey(m.Actions, from, event.Action(right))
			}
		default:
			if strings.Contains(left, " ") {
				return nil, tx.T("web.events_integrations.mapping_field", "Line", i+1, "Name", strconv.Quote(left))
			}
			m.Fields = setKey(m.Fields, left, right)
		}
	}
	if m.Fields == nil && m.Severities == nil && m.Actions == nil {
		return nil, ""
	}
	return m, ""
}

func setKey[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// mappingLines writes a mapping back as the lines parseMapping reads.
func mappingLines(m *event.Mapping) string {
	if m == nil {
		return ""
	}
	var lines []string
	for k, v := range m.Fields {
		lines = append(lines, k+" = "+v)
	}
	sort.Strings(lines)
	var more []string
	for k, v := range m.Severities {
		more = append(more, "severity "+k+" = "+string(v))
	}
	for k, v := range m.Actions {
		more = append(more, "action "+k+" = "+string(v))
	}
	sort.Strings(more)
	return strings.Join(append(lines, more...), "\n")
}

// baseURL is this server's address as the browser reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if httpx.HTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// integrationExamples are copy-ready ways to send a first event.
func integrationExamples(tx i18n.Text, base string, it event.Integration, key string) []integrationExample {
	sample := `{"ci":"router-1","check":"ping","severity":"critical","summary":"router-1 does not answer"}`
	switch it.Kind {
	case event.KindHTTP:
		return []integrationExample{{tx.T("web.events_integrations.curl"), "curl -X POST '" + base + "/api/v1/events' \\\n  -H 'Content-Type: application/json' \\\n  -H 'X-Routing-Key: " + key + "' \\\n  -d '" + sample + "'"},
			{tx.T("web.events_integrations.resolve"), "curl -X POST '" + base + "/api/v1/events' \\\n  -H 'Content-Type: application/json' \\\n  -H 'X-Routing-Key: " + key + "' \\\n  -d '{\"ci\":\"router-1\",\"check\":\"ping\",\"action\":\"resolve\"}'"}}
	case event.KindPagerDuty:
		return []integrationExample{{tx.T("web.events_integrations.pagerduty_key"), "URL:             " + base + "/v2/enqueue\nIntegration key: " + key},
			{tx.T("web.events_integrations.curl"), "curl -X POST '" + base + "/v2/enqueue' \\\n  -H 'Content-Type: application/json' \\\n  -d '{\"routing_key\":\"" + key + "\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"router-1 does not answer\",\"source\":\"router-1\",\"severity\":\"critical\"}}'"}}
	case event.KindAlertmanager:
		return []integrationExample{{tx.T("web.events_integrations.alertmanager"), "receivers:\n  - name: steward\n    webhook_configs:\n      - url: '" + base + "/api/v1/webhooks/alertmanager'\n        send_resolved: true\n        http_config:\n          authorization:\n            credentials: '" + key + "'"},
			{tx.T("web.events_integrations.alertmanager_old"), "receivers:\n  - name: steward\n    webhook_configs:\n      - url: '" + base + "/api/v1/webhooks/alertmanager?key=" + key + "'\n        send_resolved: true"}}
	case event.KindMQTT:
		host, port := brokerHostPort(it.URL, "1883")
		topic := "fleet/router-1"
		if len(it.Topics) > 0 {
			topic = strings.NewReplacer("#", "router-1", "+", "router-1").Replace(it.Topics[0])
		}
		login := ""
		if user := brokerUser(it.URL); user != "" {
			login = " -u '" + user + "' -P 'YOUR-BROKER-PASSWORD'"
		}
		return []integrationExample{{tx.T("web.events_integrations.mqtt"), "mosquitto_pub -h " + host + " -p " + port + login + " -q 1 -t '" + topic + "' \\\n  -m '" + sample + "'"}}
	case event.KindNATS:
		subject := "fleet.router-1"
		if len(it.Subjects) > 0 {
			subject = strings.NewReplacer(">", "router-1", "*", "router-1").Replace(it.Subjects[0])
		}
		server, login := it.URL, ""
		if u, err := url.Parse(it.URL); err == nil && u.User != nil {
			login = " --user '" + u.User.Username() + "' --password 'YOUR-BROKER-PASSWORD'"
			u.User = nil
			server = u.String()
		}
		return []integrationExample{{tx.T("web.events_integrations.nats"), "nats --server '" + server + "'" + login + " pub '" + subject + "' \\\n  '" + sample + "'"}}
	}
	return nil
}

// brokerUser is the user named in a broker address, "" for none.
func brokerUser(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	return u.User.Username()
}

func brokerHostPort(raw, defPort string) (string, string) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "127.0.0.1", defPort
	}
	port := u.Port()
	if port == "" {
		port = defPort
	}
	return u.Hostname(), port
}
