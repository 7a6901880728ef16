package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/mailin"
	"steward/internal/org"
	"steward/internal/request"
)

// MailInPages are incoming mail's pages: the address map and settings
// (mailin_admin.go) and the log with the held messages (mailin_log.go).
func MailInPages(svc *mailin.Service) Pages {
	return func(wb *Web, rt *httpx.Router) {
		h := mailInPages{wb: wb, svc: svc}
		rt.Handle("GET /admin/incoming-mail", mailin.PermRead, h.admin)
		wb.post(rt, "POST /admin/incoming-mail/settings", mailin.PermAdmin, h.saveSettings)
		wb.post(rt, "POST /admin/incoming-mail/addresses", mailin.PermAdmin, h.addAddress)
		wb.post(rt, "POST /admin/incoming-mail/addresses/{id}/delete", mailin.PermAdmin, h.removeAddress)
		rt.Handle("GET /admin/incoming-mail/log", mailin.PermRead, h.log)
		rt.Handle("GET /admin/incoming-mail/log/{id}", mailin.PermRead, h.message)
		wb.post(rt, "POST /admin/incoming-mail/log/{id}/accept", mailin.PermRead, h.accept)
		wb.post(rt, "POST /admin/incoming-mail/log/{id}/discard", mailin.PermRead, h.discard)
	}
}

type mailInPages struct {
	wb  *Web
	svc *mailin.Service
}

// miAdminView is the address map and settings page.
type miAdminView struct {
	CanWrite  bool
	SMTP      string // where the listener takes mail, or ""
	Mailbox   string // the polled mailbox without its password, or ""
	Interval  string
	Settings  mailin.Settings
	Policies  []miOption
	Addresses []mailin.Address
	Customers []miOption
	Groups    []miOption
	Items     []miOption
	F         *fieldErrors
	Error     string
}

func (h mailInPages) admin(w http.ResponseWriter, r *http.Request) {
	h.showAdmin(w, r, http.StatusOK, nil, nil, "")
}

func (h mailInPages) showAdmin(w http.ResponseWriter, r *http.Request, status int, st *mailin.Settings, f *fieldErrors, msg string) {
	ctx, p, tx := r.Context(), httpx.Principal(r), h.wb.clockOf(r).text()
	v := miAdminView{CanWrite: p.Can(mailin.PermAdmin), F: f, Error: msg, SMTP: h.svc.Cfg.InboundSMTPAddr,
		Mailbox: redactedMailbox(tx, h.svc.Cfg.IMAPURL)}
	if v.Mailbox != "" {
		v.Interval = h.svc.Cfg.IMAPInterval.String()
	}
	if st != nil {
		v.Settings = *st
	} else {
		saved, err := h.svc.Settings(ctx)
		if err != nil {
			h.wb.fail(w, r, err)
			return
		}
		v.Settings = saved
	}
	for _, pol := range mailin.UnknownPolicies {
		v.Policies = append(v.Policies, miOption{Value: pol, Label: tx.T("web.mailin_admin.policy_" + pol), Selected: pol == v.Settings.UnknownSender})
	}
	var err error
	if v.Addresses, err = h.svc.Addresses(ctx, p); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	if v.CanWrite {
		if err := h.choices(r, &v); err != nil {
			h.wb.fail(w, r, err)
			return
		}
	}
	h.wb.render(w, r, status, "mailin_admin", page{Title: "Incoming mail", Active: "mailin-admin", Data: v})
}

// choices fills the add form's lists: customers, groups, catalogue items.
func (h mailInPages) choices(r *http.Request, v *miAdminView) error {
	ctx := r.Context()
	sel := func(field string) string {
		if v.F != nil && v.F.Form == "address" {
			return v.F.Val("address", field, "")
		}
		return ""
	}
	for _, k := range []struct {
		kind  org.Kind
		field string
		dst   *[]miOption
	}{{org.Customers, "customer_id", &v.Customers}, {org.Groups, "group_id", &v.Groups}} {
		recs, err := k.kind.List(ctx, h.wb.DB, "", 0, 500)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			id := strconv.FormatInt(rec.ID, 10)
			*k.dst = append(*k.dst, miOption{Value: id, Label: rec.Name, Selected: sel(k.field) == id})
		}
	}
	items, err := h.wb.Requests.ListItems(ctx, httpx.Principal(r), request.ItemFilter{Limit: 500})
	if err != nil {
		return err
	}
	for _, it := range items {
		id := strconv.FormatInt(it.ID, 10)
		label := it.Name
		if it.ServiceName != "" {
			label = it.ServiceName + " › " + it.Name
		}
		v.Items = append(v.Items, miOption{Value: id, Label: label, Selected: sel("item_id") == id})
	}
	return nil
}

// redactedMailbox is the mailbox URL with its password left out.
func redactedMailbox(tx i18n.Text, raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return tx.T("web.mailin_admin.not_readable")
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

func (h mailInPages) saveSettings(w http.ResponseWriter, r *http.Request) {
	st := mailin.Settings{UnknownSender: r.PostFormValue("unknown_sender")}
	bad := domainerr.NewInvalid()
	for _, n := range []struct {
		field string
		dst   *int
	}{{"rate_limit", &st.RateLimit}, {"rate_window_minutes", &st.RateWindowMinutes}, {"max_recipients", &st.MaxRecipients}} {
		v, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(n.field)))
		if err != nil {
			bad.Add(n.field, "must be a whole number")
			continue
		}
		*n.dst = v
	}
	// Every fault shows at once: the ranges are checked on what could be read.
	var more *domainerr.Invalid
	if errors.As(st.Validate(), &more) {
		for f, m := range more.Fields {
			if _, taken := bad.Fields[f]; !taken {
				bad.Add(f, "%s", m)
			}
		}
	}
	err := bad.Err()
	if err == nil {
		_, err = h.svc.SaveSettings(r.Context(), httpx.Principal(r), st)
	}
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/admin/incoming-mail", "mailin-settings-saved")
	case errors.As(err, &inv):
		oneStop(inv)
		h.showAdmin(w, r, http.StatusUnprocessableEntity, &st, &fieldErrors{Form: "settings", Errs: inv.Fields, Values: r.PostForm}, "")
	default:
		h.wb.fail(w, r, err)
	}
}

func (h mailInPages) addAddress(w http.ResponseWriter, r *http.Request) {
	in := mailin.Address{Address: r.PostFormValue("address"), Opens: r.PostFormValue("opens"), Domains: mailin.ParseDomains(r.PostFormValue("domains"))}
	bad := domainerr.NewInvalid()
	for _, ref := range []struct {
		field string
		dst   **int64
	}{{"customer_id", &in.CustomerID}, {"group_id", &in.GroupID}, {"item_id", &in.ItemID}} {
		s := strings.TrimSpace(r.PostFormValue(ref.field))
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			bad.Add(ref.field, "choose one from the list")
			continue
		}
		*ref.dst = &id
	}
	err := bad.Err()
	if err == nil {
		_, err = h.svc.AddAddress(r.Context(), httpx.Principal(r), in)
	}
	var inv *domainerr.Invalid
	switch {
	case err == nil:
		h.wb.redirect(w, r, "/admin/incoming-mail", "mailin-address-added")
	case errors.As(err, &inv):
		oneStop(inv)
		h.showAdmin(w, r, http.StatusUnprocessableEntity, nil, &fieldErrors{Form: "address", Errs: inv.Fields, Values: r.PostForm}, "")
	default:
		h.wb.fail(w, r, err)
	}
}

func (h mailInPages) removeAddress(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err := h.svc.RemoveAddress(r.Context(), httpx.Principal(r), id); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	h.wb.redirect(w, r, "/admin/incoming-mail", "mailin-address-removed")
}

// miOption is one choice of a select or a set of radio buttons.
type miOption struct {
	Value, Label string
	Selected     bool
}
