package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"steward/internal/kpi"
	"strconv"
	"strings"

	"steward/internal/audit"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/request"
)

// auditRow is an audit entry as a person reads it: who, by which way in,
// what was done to which record (linked), and what changed.
type auditRow struct {
	audit.Entry
	Via     string // "in the browser", "with an API token", "by e-mail", "" for the system
	Link    string // the record's page, when it has one
	Changes []auditChange
	More    int // changes not shown
}

// ActionLabel is the action in words: "Login failed", "CMDB import".
func (r auditRow) ActionLabel() string {
	return strings.ReplaceAll(attrLabel(strings.NewReplacer(".", "_", "cmdb", "CMDB").Replace(r.Action)), "_", " ")
}

// auditChange is one field of an entry: before and after for an update,
// the value for a creation or a deletion.
type auditChange struct {
	Field, Old, New string
	Update          bool
}

const auditChangesShown = 12

var codeLike = regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`)

// auditRowsIn reads entries with the words in the language of tx.
func auditRowsIn(tx i18n.Text, entries []audit.Entry) []auditRow {
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		r := auditRow{Entry: e, Link: auditLink(e)}
		switch e.ActorType {
		case "user":
			r.Via = tx.T("web.audit_view.via_browser")
		case "token":
			r.Via = tx.T("web.audit_view.via_token")
		case "email":
			r.Via = tx.T("web.audit_view.via_email")
		}
		r.Changes = auditChanges(tx, e.Data)
		if len(r.Changes) > auditChangesShown {
			r.More = len(r.Changes) - auditChangesShown
			r.Changes = r.Changes[:auditChangesShown]
		}
		rows[i] = r
	}
	return rows
}

// auditPaths are the pages of the records an entry may name, by entity.
var auditPaths = map[string]string{
	"user": "/users/%s", "user_manager": "/users/%s", "preferences": "/users/%s",
	"agreement": "/agreements/%s", "calendar": "/calendars/%s", "sla_definition": "/sla-definitions/%s",
	"service": "/services/%s", "ci": "/cis/%s", "ci_type": "/ci-types/%s", "ci_baseline": "/baselines/%s",
	"catalog_item": "/catalog/items/%s",
}

func auditLink(e audit.Entry) string {
	id, err := strconv.ParseInt(e.EntityID, 10, 64)
	if err != nil || id <= 0 {
		return ""
	}
	switch e.Entity {
	case "incident":
		return "/incidents/" + incident.FormatNumber(id)
	case "request":
		return "/requests/" + request.FormatNumber(id)
	case "incident_comment", "incident_work_note":
		if n := dataID(e.Data, "incident_id"); n > 0 {
			return "/incidents/" + incident.FormatNumber(n)
		}
	case "request_task", "request_approval", "request_comment", "request_work_note":
		if n := dataID(e.Data, "request_id"); n > 0 {
			return "/requests/" + request.FormatNumber(n)
		}
	}
	if p, ok := auditPaths[e.Entity]; ok && e.Action != "delete" {
		return fmt.Sprintf(p, e.EntityID)
	}
	return ""
}

func dataID(data json.RawMessage, key string) int64 {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return 0
	}
	var n int64
	if json.Unmarshal(m[key], &n) != nil {
		return 0
	}
	return n
}

// auditChanges reads the shapes entries hold: a list of {field, old, new},
// an object of field -> [old, new], or an object of field -> value.
func auditChanges(tx i18n.Text, data json.RawMessage) []auditChange {
	if out, ok := changeList(tx, data); ok {
		return out
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		if s := string(bytes.TrimSpace(data)); s != "" && s != "null" {
			return []auditChange{{Field: tx.T("web.audit_view.data"), New: clip(s)}}
		}
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]auditChange, 0, len(keys))
	for _, k := range keys {
		if list, ok := changeList(tx, obj[k]); ok { // {"changes": [...], "note": ...}
			out = append(out, list...)
			continue
		}
		var pair []any
		if json.Unmarshal(obj[k], &pair) == nil && len(pair) == 2 && scalar(pair[0]) && scalar(pair[1]) {
			out = append(out, auditChange{Field: fieldLabel(k), Old: auditValueOf(tx, k, pair[0]), New: auditValueOf(tx, k, pair[1]), Update: true})
			continue
		}
		var v any
		_ = json.Unmarshal(obj[k], &v)
		out = append(out, auditChange{Field: fieldLabel(k), New: auditValueOf(tx, k, v)})
	}
	return out
}

// changeList reads a list of {field, old, new}, as record journals write.
func changeList(tx i18n.Text, raw json.RawMessage) ([]auditChange, bool) {
	var list []struct {
		Field string `json:"field"`
		Old   any    `json:"old"`
		New   any    `json:"new"`
	}
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 || list[0].Field == "" {
		return nil, false
	}
	out := make([]auditChange, len(list))
	for i, c := range list {
		out[i] = auditChange{Field: fieldLabel(c.Field), Old: auditValueOf(tx, c.Field, c.Old), New: auditValueOf(tx, c.Field, c.New), Update: true}
	}
	return out, true
}

func scalar(v any) bool {
	switch v.(type) {
	case nil, string, float64, bool:
		return true
	}
	return false
}

// auditValueOf writes the value of field, with the words the pages use
// for coded fields (states, reasons, levels).
func auditValueOf(tx i18n.Text, field string, v any) string {
	if s, ok := v.(string); ok && field == "metric" {
		if m, ok := kpi.Get(s); ok {
			return m.Title // a measure by its name, not its key
		}
	}
	if s, ok := v.(string); ok && s != "" {
		if h := humanValueIn(tx, field, s); h != s {
			return h
		}
	}
	return auditValue(tx, v)
}

// auditValue writes a value for reading: empty as a dash, numbers without
// exponents, anything nested as compact JSON, long text cut.
func auditValue(tx i18n.Text, v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		if codeLike.MatchString(x) {
			return human(x) // a state or a field name, as the pages write it
		}
		return clip(x)
	case bool:
		if x {
			return tx.T("web.audit_view.yes")
		}
		return tx.T("web.audit_view.no")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fieldLabel(k)+": "+auditValueOf(tx, k, x[k]))
		}
		return clip(strings.Join(parts, "; "))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = auditValue(tx, e)
		}
		return clip(strings.Join(parts, ", "))
	}
	b, _ := json.Marshal(v)
	return clip(string(b))
}

func clip(s string) string {
	if r := []rune(s); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return s
}
