package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"steward/internal/auth"
	"steward/internal/cmdb"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/incident"
	"steward/internal/store"
)

// CMDBPages are configuration management's pages.
var CMDBPages Pages = (*Web).registerCMDB

// registerCMDB adds the configuration management pages: CI types, CIs
// with their relationships and history, the impact analysis and the
// neighbourhood graph.
func (wb *Web) registerCMDB(rt *httpx.Router) {
	rt.Handle("GET /cis", auth.CIRead, wb.listCIs)
	rt.Handle("GET /cis/new", auth.CIWrite, wb.newCIForm)
	rt.Handle("GET /cis/export.csv", auth.CIRead, wb.exportCIs)
	wb.registerCMDBImports(rt)
	wb.post(rt, "POST /cis", auth.CIWrite, wb.createCI)
	rt.Handle("GET /cis/{id}", auth.CIRead, wb.ciPage)
	rt.Handle("GET /cis/{id}/edit", auth.CIWrite, wb.editCIForm)
	wb.post(rt, "POST /cis/{id}", auth.CIWrite, wb.updateCI)
	wb.post(rt, "POST /cis/{id}/delete", auth.CIWrite, wb.deleteCI)
	wb.post(rt, "POST /cis/{id}/relationships", auth.CIWrite, wb.relateCI)
	wb.post(rt, "POST /cis/{id}/relationships/delete", auth.CIWrite, wb.unrelateCI)
	rt.Handle("GET /cis/{id}/impact", auth.CIRead, wb.ciImpactPage)
	rt.Handle("GET /cis/{id}/graph", auth.CIRead, wb.ciGraphPage)
	rt.Handle("GET /cis/{id}/graph.json", auth.CIRead, wb.ciGraphJSON)

	rt.Handle("GET /ci-types", auth.CIRead, wb.listCITypes)
	rt.Handle("GET /ci-types/new", auth.CITypeWrite, wb.newCITypeForm)
	wb.post(rt, "POST /ci-types", auth.CITypeWrite, wb.createCIType)
	rt.Handle("GET /ci-types/{id}", auth.CIRead, wb.ciTypePage)
	wb.post(rt, "POST /ci-types/{id}", auth.CITypeWrite, wb.updateCIType)
	wb.post(rt, "POST /ci-types/{id}/delete", auth.CITypeWrite, wb.deleteCIType)

	wb.post(rt, "POST /incidents/{ref}/cis", incident.PermUpdate, wb.linkIncidentCI)
	wb.post(rt, "POST /incidents/{ref}/cis/delete", incident.PermUpdate, wb.unlinkIncidentCI)
	wb.registerCIRecords(rt)
}

// ciPath is the page of CI id.
func ciPath(id int64) string { return "/cis/" + strconv.FormatInt(id, 10) }

// ciRef is a CI as a link: its id, name and type.
type ciRef struct {
	ID     int64
	Name   string
	Type   string
	Status cmdb.Status
}

// ciRefs names CIs by id with one bounded query per batch; ids that no
// longer exist are left out.
func ciRefs(ctx context.Context, db *store.DB, ids []int64) (map[int64]ciRef, error) {
	out := map[int64]ciRef{}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		rows, err := db.Query(ctx, `SELECT c.id, c.name, t.name, c.status FROM cis c JOIN ci_types t ON t.id = c.type_id
			WHERE c.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", n), ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c ciRef
			if err := rows.Scan(&c.ID, &c.Name, &c.Type, &c.Status); err != nil {
				rows.Close()
				return nil, err
			}
			out[c.ID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// ciTypeOptions lists the CI types for selects.
func (wb *Web) ciTypeOptions(ctx context.Context) ([]cmdb.CIType, []option, error) {
	types, err := wb.CMDB.ListTypes(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := make([]option, len(types))
	for i, t := range types {
		opts[i] = option{ID: t.ID, Name: t.Name}
	}
	return types, opts, nil
}

// loadCI reads the {id} of the path and the CI it names.
func (wb *Web) loadCI(w http.ResponseWriter, r *http.Request) (cmdb.CI, bool) {
	id, ok := pathID(r)
	if !ok {
		wb.errorPage(w, r, http.StatusNotFound, "")
		return cmdb.CI{}, false
	}
	c, err := wb.CMDB.GetCI(r.Context(), id)
	if err != nil {
		wb.fail(w, r, err)
		return c, false
	}
	return c, true
}

// ciStatusLabel is how a CI status reads, in English.
func ciStatusLabel(s cmdb.Status) string { return ciStatusIn(i18n.For(i18n.Default), s) }

// ciStatusIn is how a CI status reads to the reader.
func ciStatusIn(tx i18n.Text, s cmdb.Status) string { return tx.Label(string(s)) }

// relWords read a relationship from either end: "depends on" from its
// source, "needed by" from its target; the catalogue's
// "web.cmdb.rel_<words>" messages.
var relWords = map[cmdb.RelType][2]string{
	cmdb.DependsOn:   {"depends_on", "needed_by"},
	cmdb.UsedBy:      {"used_by", "uses"},
	cmdb.RunsOn:      {"runs_on", "hosts"},
	cmdb.Hosts:       {"hosts", "runs_on"},
	cmdb.ConnectedTo: {"connected_to", "connected_to"},
	cmdb.MemberOf:    {"member_of", "has_member"},
}

func relLabel(t cmdb.RelType, outgoing bool) string {
	return relLabelIn(i18n.For(i18n.Default), t, outgoing)
}

// relLabelIn is relLabel in the reader's words.
func relLabelIn(tx i18n.Text, t cmdb.RelType, outgoing bool) string {
	l, ok := relWords[t]
	if !ok {
		return tx.Label(string(t))
	}
	if outgoing {
		return tx.T("web.cmdb.rel_" + l[0])
	}
	return tx.T("web.cmdb.rel_" + l[1])
}

// The CMDB pages' own template functions.
func init() {
	funcs["ciStatus"] = ciStatusLabel
	funcs["relLabel"] = relLabel
	funcs["attrLabel"] = attrLabel
	textFuncs["ciStatus"] = func(tx i18n.Text) any { return func(s cmdb.Status) string { return ciStatusIn(tx, s) } }
	textFuncs["relLabel"] = func(tx i18n.Text) any {
		return func(t cmdb.RelType, outgoing bool) string { return relLabelIn(tx, t, outgoing) }
	}
}

// attrShort are the abbreviations attribute names use, as they are written.
var attrShort = map[string]string{"ip": "IP", "os": "OS", "url": "URL", "id": "ID", "cpu": "CPU", "gb": "GB", "mb": "MB",
	"tb": "TB", "mac": "MAC", "dns": "DNS", "vip": "VIP", "sla": "SLA", "api": "API", "imei": "IMEI", "sku": "SKU"}

// attrLabel writes an attribute name as a label: ip_address is "IP address".
func attrLabel(name string) string {
	words := strings.Split(name, "_")
	for i, w := range words {
		if s, ok := attrShort[w]; ok {
			words[i] = s
		} else if i == 0 && w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}
