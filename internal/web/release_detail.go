package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/httpx"
	"steward/internal/i18n"
	"steward/internal/patch"
	"steward/internal/release"
	"steward/internal/store"
)

type releaseView struct {
	R          release.Detail
	CanWrite   bool
	Moves      []releaseMove
	Error      string
	F          *fieldErrors
	Journal    []releaseLine
	Envs       []envDeployments
	EnvChoices []string
	Types      []release.Type
	StartInput string // planned start for a datetime-local field
	EndInput   string
	Deploys    bool // deployments may be recorded and verified now
	Scoped     bool // changes may join or leave now
	Final      bool
	Records    recordPanels // files and linked records
}

// releaseMove is one button of the state machine.
type releaseMove struct {
	To, Label string
	Quiet     bool
}

// releaseMoveLabels are the message ids of the actions' button labels.
var releaseMoveLabels = map[string]string{
	"build": "web.release_detail.move_build", "test": "web.release_detail.move_test",
	"rebuild": "web.release_detail.move_rebuild", "deploy": "web.release_detail.move_deploy",
	"complete": "web.release_detail.move_complete", "retest": "web.release_detail.move_retest",
	"cancel": "web.release_detail.move_cancel", "close": "web.release_detail.move_close",
}

// releaseMoveLabel is action's button label in tx's words.
func releaseMoveLabel(tx i18n.Text, action string) string {
	if id, ok := releaseMoveLabels[action]; ok {
		return tx.T(id)
	}
	return ""
}

// envDeployments are a release's deployments to one environment.
type envDeployments struct {
	Name  string
	Items []release.Deployment
}

// releaseLine is a journal entry with its values in words.
type releaseLine struct {
	release.Entry
	Lines []string
}

func (h *releasePages) load(w http.ResponseWriter, r *http.Request) (release.Detail, bool) {
	id, ok := release.ParseRef(r.PathValue("ref"))
	if !ok {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return release.Detail{}, false
	}
	d, err := h.svc.Get(r.Context(), httpx.Principal(r), id)
	if err != nil {
		h.wb.fail(w, r, err)
		return d, false
	}
	return d, true
}

func (h *releasePages) show(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, d, "", nil)
}

// render shows release d; msg is a banner and f a failed form.
func (h *releasePages) render(w http.ResponseWriter, r *http.Request, status int, d release.Detail, msg string, f *fieldErrors) {
	p := httpx.Principal(r)
	loc := p.Prefs.Location()
	c := h.wb.clockOf(r)
	v := releaseView{R: d, CanWrite: p.Can(release.PermWrite), Error: msg, F: f, EnvChoices: release.Environments,
		Types: release.Types, StartInput: localInput(d.PlannedStart, loc), EndInput: localInput(d.PlannedEnd, loc),
		Final: d.State.Final()}
	for _, s := range []release.State{release.Testing, release.Deploying, release.Deployed} {
		v.Deploys = v.Deploys || d.State == s
	}
	for _, s := range []release.State{release.Planned, release.Building, release.Testing} {
		v.Scoped = v.Scoped || d.State == s
	}
	for _, to := range release.Next(d.State) {
		mv, _ := release.Machine.Move(string(d.State), string(to))
		v.Moves = append(v.Moves, releaseMove{To: string(to), Label: releaseMoveLabel(h.wb.clockOf(r).text(), mv.Action), Quiet: mv.Action == "cancel" || strings.HasPrefix(mv.Action, "re")})
	}
	byEnv := map[string]int{}
	for _, dep := range d.Deployments {
		i, seen := byEnv[dep.Environment]
		if !seen {
			i = len(v.Envs)
			byEnv[dep.Environment] = i
			v.Envs = append(v.Envs, envDeployments{Name: dep.Environment})
		}
		v.Envs[i].Items = append(v.Envs[i].Items, dep)
	}
	var err error
	if v.Records, err = h.wb.panels(r, release.KindName, d.ID, f); err != nil {
		h.wb.fail(w, r, err)
		return
	}
	entries, err := h.svc.Journal(r.Context(), p, d.ID)
	if err != nil {
		h.wb.fail(w, r, err)
		return
	}
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		e := entries[i]
		jl := releaseLine{Entry: e}
		for _, ch := range e.Changes {
			jl.Lines = append(jl.Lines, changeLine(ch, c))
		}
		v.Journal = append(v.Journal, jl)
	}
	h.wb.render(w, r, status, "release", page{Title: d.Number + " " + d.Title, Active: "releases", Data: v})
}

// changeLine words one journal change: labels, not codes, and instants in
// the viewer's zone.
func changeLine(ch release.FieldChange, c clock) string {
	tx := c.text()
	val := func(s string) string {
		if s == "" {
			return "—"
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return c.zoned(t)
		}
		if ch.Field == "state" || ch.Field == "type" {
			return tx.Label(s)
		}
		return s
	}
	switch {
	case ch.Field == "change" && ch.Old == "":
		return tx.T("web.release_detail.change_added", "Change", ch.New)
	case ch.Field == "change":
		return tx.T("web.release_detail.change_removed", "Change", ch.Old)
	case ch.Field == "deployment":
		return tx.T("web.release_detail.deployment", "Deployment", ch.New)
	case ch.Field == "description" || ch.Field == "acceptance_criteria" || ch.Field == "test_results":
		return tx.T("web.release_detail.text_changed", "Field", fieldLabel(ch.Field))
	}
	return tx.T("web.release_detail.field_changed", "Field", fieldLabel(ch.Field), "Old", val(ch.Old), "New", val(ch.New))
}

// after answers a form: back to the release with flash when err is nil,
// else the page again with what went wrong.
func (h *releasePages) after(w http.ResponseWriter, r *http.Request, d release.Detail, form, flash string, err error) {
	if err == nil {
		h.wb.redirect(w, r, "/releases/"+d.Number, flash)
		return
	}
	var inv *domainerr.Invalid
	var conflict *domainerr.Conflict
	cur, gerr := h.svc.Get(r.Context(), httpx.Principal(r), d.ID)
	if gerr != nil {
		h.wb.fail(w, r, gerr)
		return
	}
	switch {
	case errors.As(err, &inv):
		h.render(w, r, http.StatusUnprocessableEntity, cur, h.wb.clockOf(r).text().T("web.release_detail.fields_attention"),
			&fieldErrors{Form: form, Errs: inv.Fields, Values: r.PostForm})
	case errors.As(err, &conflict):
		h.render(w, r, http.StatusConflict, cur, errText(h.wb.clockOf(r).text(), conflict.Message), nil)
	case errors.Is(err, domainerr.ErrStale):
		h.render(w, r, http.StatusConflict, cur, h.wb.stale(r), nil)
	default:
		h.wb.fail(w, r, err)
	}
}

func (h *releasePages) edit(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.release_detail.form_version_release"))
		return
	}
	p := httpx.Principal(r)
	bad := domainerr.NewInvalid()
	typ := release.Type(r.PostFormValue("type"))
	pt := release.Patch{Title: str(r.PostFormValue("title")), Description: str(formText(r, "description")), Type: &typ,
		AcceptanceCriteria: str(formText(r, "acceptance_criteria")), TestResults: str(formText(r, "test_results"))}
	for _, f := range []struct {
		name string
		dst  *patch.Field[time.Time]
	}{{"planned_start", &pt.PlannedStart}, {"planned_end", &pt.PlannedEnd}} {
		if t := formLocalTimeIn(h.wb.clockOf(r).text(), r, f.name, p.Prefs.Location(), bad); t != nil {
			*f.dst = patch.Of(*t)
		} else if !bad.Has(f.name) {
			*f.dst = patch.Field[time.Time]{Set: true, Null: true}
		}
	}
	err := bad.Err()
	if err == nil {
		_, err = h.svc.Update(r.Context(), p, d.ID, pt, version)
	}
	h.after(w, r, d, "edit", "updated", err)
}

func (h *releasePages) move(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	version, ok := formVersion(r)
	if !ok {
		h.wb.errorPage(w, r, http.StatusBadRequest, h.wb.clockOf(r).text().T("web.release_detail.form_version_release"))
		return
	}
	to := release.State(r.PostFormValue("to"))
	_, err := h.svc.Update(r.Context(), httpx.Principal(r), d.ID, release.Patch{State: &to}, version)
	var inv *domainerr.Invalid
	if errors.As(err, &inv) {
		// The move's own fields sit in the edit form: say so in the banner.
		var missing []string
		for _, k := range []string{"acceptance_criteria", "test_results"} {
			if inv.Has(k) {
				missing = append(missing, "the "+strings.ToLower(fieldLabel(k)))
			}
		}
		if len(missing) > 0 {
			err = domainerr.Conflictf("%s needs %s: write them under “Edit the release” first", releaseMoveLabel(h.wb.clockOf(r).text(), "deploy"),
				strings.Join(missing, " and "))
		} else {
			err = domainerr.Conflictf("%s", inv.Error())
		}
	}
	flash := "release-moved"
	if to == release.Cancelled {
		flash = "release-cancelled"
	}
	h.after(w, r, d, "move", flash, err)
}

func (h *releasePages) addChange(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	_, err := h.svc.AddChange(r.Context(), httpx.Principal(r), d.ID, r.PostFormValue("change"), 0)
	h.after(w, r, d, "change", "change-added", err)
}

func (h *releasePages) removeChange(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	_, err := h.svc.RemoveChange(r.Context(), httpx.Principal(r), d.ID, r.PostFormValue("change"), 0)
	if errors.Is(err, store.ErrNotFound) {
		err = domainerr.Conflictf("%s", h.wb.clockOf(r).text().T("web.release_detail.change_not_in_release"))
	}
	h.after(w, r, d, "change", "change-removed", err)
}

func (h *releasePages) deploy(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	p := httpx.Principal(r)
	bad := domainerr.NewInvalid()
	in := release.NewDeployment{Environment: r.PostFormValue("environment"), Version: r.PostFormValue("version"),
		DeployedAt: formLocalTimeIn(h.wb.clockOf(r).text(), r, "deployed_at", p.Prefs.Location(), bad)}
	ciID, err := h.wb.findCI(r.Context(), r.PostFormValue("ci"))
	var inv *domainerr.Invalid
	switch {
	case errors.As(err, &inv):
		bad.Add("ci_id", "%s", inv.Fields["other"])
	case err != nil:
		h.wb.fail(w, r, err)
		return
	default:
		in.CIID = ciID
	}
	err = bad.Err()
	if err == nil {
		_, err = h.svc.RecordDeployment(r.Context(), p, d.ID, in, nil)
	}
	h.after(w, r, d, "deploy", "deployed", err)
}

func (h *releasePages) updateDeployment(w http.ResponseWriter, r *http.Request) {
	d, ok := h.load(w, r)
	if !ok {
		return
	}
	did, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || did <= 0 {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	var pt release.DeploymentPatch
	flash := "verified"
	switch r.PostFormValue("act") {
	case "rollback":
		pt.RollbackReason, flash = str(formText(r, "rollback_reason")), "rolled-back"
	default:
		ver := release.Verification(r.PostFormValue("verification"))
		pt.Verification = &ver
		if notes := formText(r, "verification_notes"); notes != "" {
			pt.VerificationNotes = &notes
		}
	}
	_, err = h.svc.UpdateDeployment(r.Context(), httpx.Principal(r), d.ID, did, pt)
	if errors.Is(err, store.ErrNotFound) {
		h.wb.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	h.after(w, r, d, "dep-"+strconv.FormatInt(did, 10), flash, err)
}
