package web

import (
	"encoding/json"
	"reflect"
	"testing"

	"steward/internal/audit"
	"steward/internal/i18n"
)

func TestAuditRowsReadAsChanges(t *testing.T) {
	rows := auditRowsIn(i18n.For(i18n.Default), []audit.Entry{
		{ActorType: "user", Entity: "incident", EntityID: "22", Action: "update",
			Data: json.RawMessage(`[{"field":"state","old":"new","new":"in_progress"},{"field":"assignee_id","old":"","new":"7"}]`)},
		{ActorType: "token", Entity: "customer", EntityID: "3", Action: "update", Data: json.RawMessage(`{"name":["Acme","Acme Ltd"]}`)},
		{ActorType: "system", Entity: "incident_work_note", EntityID: "9", Action: "create", Data: json.RawMessage(`{"incident_id":22,"body":"Rebooted"}`)},
		{ActorType: "user", Entity: "agreement", EntityID: "4", Action: "delete", Data: json.RawMessage(`{"name":"Old SLA","kind":"sla"}`)},
		{ActorType: "user", Entity: "setting", EntityID: "priority_matrix", Action: "update", Data: json.RawMessage(`"raw"`)},
		{ActorType: "email", Entity: "incident", EntityID: "23", Action: "create", Data: json.RawMessage(`{"title":"Printer"}`)},
	})
	want := []struct {
		via, link string
		changes   []auditChange
	}{
		{"in the browser", "/incidents/INC-000022", []auditChange{{Field: "State", Old: "New", New: "In progress", Update: true}, {Field: fieldLabel("assignee_id"), Old: "—", New: "7", Update: true}}},
		{"with an API token", "", []auditChange{{Field: "Name", Old: "Acme", New: "Acme Ltd", Update: true}}},
		{"", "/incidents/INC-000022", []auditChange{{Field: "Body", New: "Rebooted"}, {Field: fieldLabel("incident_id"), New: "22"}}},
		{"in the browser", "", []auditChange{{Field: "Kind", New: "sla"}, {Field: "Name", New: "Old SLA"}}},
		{"in the browser", "", []auditChange{{Field: "Data", New: `"raw"`}}},
		{"by e-mail", "/incidents/INC-000023", []auditChange{{Field: "Title", New: "Printer"}}},
	}
	for i, w := range want {
		r := rows[i]
		if r.Via != w.via || r.Link != w.link || !reflect.DeepEqual(r.Changes, w.changes) {
			t.Errorf("row %d: via %q link %q changes %+v\nwant via %q link %q changes %+v", i, r.Via, r.Link, r.Changes, w.via, w.link, w.changes)
		}
	}
}

// A German reader reads the states an entry changed in German.
func TestAuditRowsReadInTheReadersLanguage(t *testing.T) {
	rows := auditRowsIn(i18n.For("de"), []audit.Entry{
		{ActorType: "user", Entity: "incident", EntityID: "22", Action: "update",
			Data: json.RawMessage(`[{"field":"state","old":"new","new":"in_progress"}]`)},
	})
	if c := rows[0].Changes[0]; c.Old != "Neu" || c.New != "In Bearbeitung" {
		t.Fatalf("state change read as %q → %q", c.Old, c.New)
	}
}
