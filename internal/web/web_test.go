package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"steward/internal/demo"
)

func TestLogin(t *testing.T) {
	s := newSite(t)
	cases := []struct {
		name, email, password, next string
		status                      int
		location, body              string
	}{
		{"right password", "agent@steward.demo", demo.Password, "", http.StatusSeeOther, "/", ""},
		{"back to the page asked for", "agent@steward.demo", demo.Password, "/incidents/new", http.StatusSeeOther, "/incidents/new", ""},
		{"no redirect to another site", "agent@steward.demo", demo.Password, "//evil.example/x", http.StatusSeeOther, "/", ""},
		{"no redirect to an absolute URL", "agent@steward.demo", demo.Password, "https://evil.example/", http.StatusSeeOther, "/", ""},
		{"no redirect with a backslash", "agent@steward.demo", demo.Password, "/\\evil.example", http.StatusSeeOther, "/", ""},
		{"wrong password", "agent@steward.demo", "nope-nope-nope", "", http.StatusUnauthorized, "", "E-mail or password is wrong"},
		{"unknown account", "nobody@steward.demo", demo.Password, "", http.StatusUnauthorized, "", "E-mail or password is wrong"},
		{"empty form", "", "", "", http.StatusUnprocessableEntity, "", "Enter your e-mail and password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := s.browser()
			m := hiddenCSRF.FindStringSubmatch(b.get("/login").body)
			p := b.post("/login", url.Values{"csrf_token": {m[1]}, "email": {c.email}, "password": {c.password}, "next": {c.next}})
			if p.status != c.status || p.location != c.location || !strings.Contains(p.body, c.body) {
				t.Fatalf("got %d %q, want %d %q containing %q\n%s", p.status, p.location, c.status, c.location, c.body, p.body)
			}
			if c.status == http.StatusUnauthorized && !strings.Contains(p.body, `value="`+c.email+`"`) {
				t.Error("the e-mail address should be kept in the form")
			}
		})
	}
}

func TestLoginCookieAndThrottle(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	token := hiddenCSRF.FindStringSubmatch(b.get("/login").body)[1]
	form := url.Values{"csrf_token": {token}, "email": {"agent@steward.demo"}, "password": {demo.Password}}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "steward_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || !session.Secure {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, Path=/, Secure behind an HTTPS proxy", session)
	}

	t.Run("without the login token", func(t *testing.T) {
		p := s.browser().post("/login", url.Values{"email": {"agent@steward.demo"}, "password": {demo.Password}})
		if p.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", p.status)
		}
	})
	t.Run("throttled after repeated failures", func(t *testing.T) {
		var p page
		for i := 0; i < 6; i++ {
			p = s.browser().login("auditor@steward.demo", "wrong-password-"+string(rune('a'+i)))
		}
		if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Too many failed sign-ins") {
			t.Fatalf("status %d, want 429 with the throttle message\n%s", p.status, p.body)
		}
	})
	t.Run("anonymous pages redirect to sign in", func(t *testing.T) {
		p := s.browser().get("/incidents/new?x=1")
		if p.status != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape("/incidents/new?x=1") {
			t.Fatalf("got %d %q", p.status, p.location)
		}
	})
	t.Run("sign out ends the session", func(t *testing.T) {
		a := s.signedIn("agent")
		if p := a.post("/logout", nil); p.status != http.StatusSeeOther || p.location != "/login" {
			t.Fatalf("logout: %d %q", p.status, p.location)
		}
		if p := a.get("/"); p.status != http.StatusSeeOther {
			t.Fatalf("after logout / gave %d, want a redirect to sign in", p.status)
		}
	})
	t.Run("bearer tokens do not open pages", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/", nil)
		req.Header.Set("Authorization", "Bearer stw_whatever")
		if p := s.browser().do(req); p.status != http.StatusSeeOther {
			t.Fatalf("status %d, want a redirect to sign in", p.status)
		}
	})
}

func TestCSRF(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	inc := s.incidents(t, 0, false)
	notes := func() int {
		var n int
		if err := s.app.DB.QueryRow(context.Background(), "SELECT COUNT(*) FROM incident_journal WHERE incident_id = ?", inc.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := notes()
	cases := []struct {
		name    string
		token   []string
		headers map[string]string
	}{
		{"no token", nil, nil},
		{"wrong token", []string{"not-the-token"}, nil},
		{"empty token", []string{""}, nil},
		{"cross-site with the right token", []string{a.csrf}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := url.Values{"body": {"sneaky"}}
			if c.token != nil {
				form["csrf_token"] = c.token
			} else {
				form["csrf_token"] = []string{}
			}
			req, _ := http.NewRequest(http.MethodPost, s.url+"/incidents/"+inc.Number+"/notes", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			if p := a.do(req); p.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", p.status)
			}
		})
	}
	if after := notes(); after != before {
		t.Fatalf("journal grew from %d to %d entries through refused forms", before, after)
	}
	if p := a.post("/incidents/"+inc.Number+"/notes", url.Values{"body": {"with the token"}}); p.status != http.StatusSeeOther {
		t.Fatalf("with the token: %d", p.status)
	}
}

func TestRequesterSeesOwnOrganisationOnly(t *testing.T) {
	s := newSite(t)
	_, cust := s.userID(t, "requester@steward.demo")
	theirs, other := s.incidents(t, cust, true), s.incidents(t, cust, false)

	agent := s.signedIn("agent")
	for path, body := range map[string]string{"/comments": "Public reply for the requester", "/notes": "Secret work note only for staff"} {
		if p := agent.post("/incidents/"+theirs.Number+path, url.Values{"body": {body}}); p.status != http.StatusSeeOther {
			t.Fatalf("agent %s: %d %s", path, p.status, p.body)
		}
	}

	r := s.signedIn("requester")
	if p := r.get("/incidents/" + other.Number); p.status != http.StatusNotFound {
		t.Fatalf("another organisation's incident: %d, want 404", p.status)
	}
	if p := r.post("/incidents/"+other.Number+"/comments", url.Values{"body": {"hello"}}); p.status != http.StatusNotFound {
		t.Fatalf("commenting on another organisation's incident: %d, want 404", p.status)
	}
	p := r.get("/incidents/" + theirs.Number)
	if p.status != http.StatusOK {
		t.Fatalf("own incident: %d", p.status)
	}
	for _, want := range []string{"Public reply for the requester", `action="/incidents/` + theirs.Number + `/comments"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("requester page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Secret work note", "Work note", "/edit", "/assign-to-me", "/resolve", "/notes"} {
		if strings.Contains(p.body, unwanted) {
			t.Errorf("requester page shows %q", unwanted)
		}
	}
	home := r.get("/")
	if !strings.Contains(home.body, "My organisation") || !strings.Contains(home.body, "Raise an incident") {
		t.Error("requester home should list the organisation's tickets with a Raise button")
	}
	if strings.Contains(home.body, other.Number+"<") {
		t.Error("requester home lists another organisation's incident")
	}
}

func TestAuditorReadsWithoutForms(t *testing.T) {
	s := newSite(t)
	inc := s.incidents(t, 0, false)
	au := s.signedIn("auditor")
	for _, path := range []string{"/", "/?view=all", "/incidents/" + inc.Number, "/customers", "/groups", "/users"} {
		p := au.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		// The only form that changes anything is signing out.
		if n := strings.Count(p.body, `method="post"`); n != 1 {
			t.Errorf("%s: %d POST forms, want only sign-out", path, n)
		}
	}
	for _, post := range []string{"/incidents", "/incidents/" + inc.Number + "/comments", "/incidents/" + inc.Number + "/notes",
		"/incidents/" + inc.Number + "/edit", "/incidents/" + inc.Number + "/resolve", "/customers", "/users"} {
		if p := au.post(post, url.Values{"body": {"x"}, "title": {"x"}, "name": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", post, p.status)
		}
	}
	if p := au.get("/audit/verify"); !strings.Contains(p.body, "The chain is intact") {
		t.Errorf("verify page: %d %s", p.status, p.body)
	}
	if p := au.get("/audit"); p.status != http.StatusOK || !strings.Contains(p.body, "Older entries") {
		t.Errorf("audit trail: %d", p.status)
	}
}

func TestAgentWorksAnIncident(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	agentID, _ := s.userID(t, "agent@steward.demo")

	p := a.post("/incidents", url.Values{"title": {"Mail server rejects attachments"}, "description": {"Since 9:00"},
		"impact": {"high"}, "urgency": {"medium"}, "category": {"email"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/incidents/INC-") {
		t.Fatalf("create: %d %q\n%s", p.status, p.location, p.body)
	}
	number := strings.TrimPrefix(strings.Split(p.location, "?")[0], "/incidents/")
	detail := a.get("/incidents/" + number)
	if !strings.Contains(detail.body, "Mail server rejects attachments") || !strings.Contains(detail.body, "P2") {
		t.Fatal("detail page lacks the title or the priority")
	}
	staleVersion := versionOf(t, detail)

	if p := a.post("/incidents/"+number+"/assign-to-me", url.Values{"version": {staleVersion}}); p.status != http.StatusSeeOther {
		t.Fatalf("assign: %d %s", p.status, p.body)
	}
	inc := s.incident(t, number)
	if inc.State != "in_progress" || inc.AssigneeID == nil || *inc.AssigneeID != agentID {
		t.Fatalf("after assign: state %s, assignee %v", inc.State, inc.AssigneeID)
	}

	t.Run("stale version", func(t *testing.T) {
		p := a.post("/incidents/"+number+"/hold", url.Values{"version": {staleVersion}, "hold_reason": {"awaiting_requester"}})
		if p.status != http.StatusConflict || !strings.Contains(p.body, "changed by someone else") {
			t.Fatalf("got %d, want 409 with the reload message", p.status)
		}
	})

	version := versionOf(t, a.get("/incidents/"+number))
	p = a.post("/incidents/"+number+"/resolve", url.Values{"version": {version}, "resolution_code": {"workaround"}, "resolution_notes": {""}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "are required to resolve") ||
		!strings.Contains(p.body, `value="workaround" selected`) {
		t.Fatalf("resolve without notes: %d, want 422 with the message and the chosen code kept", p.status)
	}
	p = a.post("/incidents/"+number+"/resolve", url.Values{"version": {version}, "resolution_code": {"fixed"}, "resolution_notes": {"Raised the size limit"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", p.status, p.body)
	}
	if inc := s.incident(t, number); inc.State != "resolved" {
		t.Fatalf("state %s after resolve", inc.State)
	}
	detail = a.get(p.location)
	for _, want := range []string{"Incident resolved.", "Raised the size limit", "In progress</span> → <span class=\"chg-new\">Resolved"} {
		if !strings.Contains(detail.body, want) {
			t.Errorf("resolved page lacks %q", want)
		}
	}
	version = versionOf(t, detail)
	if p := a.post("/incidents/"+number+"/close", url.Values{"version": {version}}); p.status != http.StatusSeeOther {
		t.Fatalf("close: %d", p.status)
	}
	closed := a.get("/incidents/" + number)
	if strings.Contains(closed.body, "/comments\"") || strings.Contains(closed.body, "/edit\"") {
		t.Error("a closed incident should offer no forms")
	}
}

func TestNewIncidentValidation(t *testing.T) {
	s := newSite(t)
	for _, role := range []string{"agent", "requester"} {
		t.Run(role, func(t *testing.T) {
			b := s.signedIn(role)
			p := b.post("/incidents", url.Values{"title": {"   "}, "description": {"Keep <this> text"}, "category": {"network"}, "impact": {"high"}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.status)
			}
			for _, want := range []string{"is required", "Keep &lt;this&gt; text", `value="network"`, `value="high" selected`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("form lacks %q", want)
				}
			}
		})
	}
}

// A form whose text is not UTF-8 is refused with 422 naming the field, and
// nothing is stored, as the API refuses such JSON.
func TestFormTextMustBeUTF8(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	for _, c := range []struct {
		path  string
		form  url.Values
		label string
		count string
	}{
		{"/incidents", url.Values{"title": {"Printer \xff jam"}}, "Title", "SELECT COUNT(*) FROM incidents WHERE title LIKE 'Printer %'"},
		{"/incidents", url.Values{"title": {"Printer jam"}, "description": {"ok", "bad \xc3"}}, "Description", "SELECT COUNT(*) FROM incidents WHERE title = 'Printer jam'"},
		{"/cis", url.Values{"type_id": {"1"}, "name": {"=cmd\xff"}}, "Name", "SELECT COUNT(*) FROM cis WHERE name LIKE '=cmd%'"},
	} {
		p := a.post(c.path, c.form)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "The field “"+c.label+"” is not valid UTF-8 text") {
			t.Errorf("%s with bad %s: %d, want 422 naming the field", c.path, c.label, p.status)
		}
		var n int
		if err := s.app.DB.QueryRow(context.Background(), c.count).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d records stored (%v)", c.path, n, err)
		}
	}
}

func TestTitlesAreEscaped(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	p := a.post("/incidents", url.Values{"title": {`<script>alert("x")</script>`}, "description": {`<img src=x onerror=alert(1)>`}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.status)
	}
	for _, path := range []string{strings.Split(p.location, "?")[0], "/?view=all"} {
		body := a.get(path).body
		if strings.Contains(body, `<script>alert`) || strings.Contains(body, `<img src=x`) {
			t.Fatalf("%s: markup from input reached the page unescaped", path)
		}
		if !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
			t.Errorf("%s: escaped title not found", path)
		}
	}
}

func TestAdminPages(t *testing.T) {
	s := newSite(t)
	ad := s.signedIn("admin")
	if p := ad.post("/customers", url.Values{"name": {""}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is required") {
		t.Fatalf("empty customer: %d", p.status)
	}
	if p := ad.post("/customers", url.Values{"name": {"Globex"}}); p.status != http.StatusSeeOther {
		t.Fatalf("create customer: %d %s", p.status, p.body)
	}
	_, cust := s.userID(t, "requester@steward.demo")
	p := ad.post("/customers/"+itoa(cust)+"/delete", nil)
	if p.status != http.StatusConflict || !strings.Contains(p.body, "still used") {
		t.Fatalf("delete a customer in use: %d, want 409 with a message", p.status)
	}
	p = ad.post("/users", url.Values{"email": {"not-an-address"}, "name": {"Neu"}, "role": {"agent"}, "password": {"short"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is not a valid e-mail address") || !strings.Contains(p.body, `value="Neu"`) {
		t.Fatalf("bad user: %d", p.status)
	}
	p = ad.post("/users", url.Values{"email": {"neu@steward.demo"}, "name": {"Neu Agent"}, "role": {"agent"}, "password": {"a-long-password"}, "group_ids": {"1"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create user: %d %s", p.status, p.body)
	}
	userPath := strings.Split(p.location, "?")[0]
	version := versionOf(t, ad.get(userPath))
	p = ad.post(userPath, url.Values{"version": {version}, "email": {"neu@steward.demo"}, "name": {"Neu Agent"}, "role": {"agent"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", p.status, p.body)
	}
	if nb := s.browser().login("neu@steward.demo", "a-long-password"); nb.status != http.StatusUnauthorized {
		t.Fatalf("a deactivated account signed in: %d", nb.status)
	}

	p = ad.post("/tokens", url.Values{"name": {"ci"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "stw_") || !strings.Contains(p.body, "shown only this once") {
		t.Fatalf("create token: %d", p.status)
	}
	if list := ad.get("/tokens"); strings.Count(list.body, "stw_") != 1 {
		t.Error("the token list should show only the prefix of the token, once")
	}
}

func TestErrorsAndStatic(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	if p := a.get("/no/such/page"); p.status != http.StatusNotFound || !strings.Contains(p.body, "Not found") || !strings.Contains(p.body, "Sign out") {
		t.Errorf("404 page: %d", p.status)
	}
	if p := a.get("/incidents/INC-999999"); p.status != http.StatusNotFound {
		t.Errorf("missing incident: %d", p.status)
	}
	if p := a.get("/audit"); p.status != http.StatusForbidden || !strings.Contains(p.body, "Not allowed") {
		t.Errorf("403 page: %d", p.status)
	}
	if p := a.get("/?q=%21%21"); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Search") {
		t.Errorf("bad search: %d", p.status)
	}
	big := strings.Repeat("x", 2<<20)
	if p := a.post("/incidents", url.Values{"title": {big}}); p.status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB form: %d, want 413", p.status)
	}
	res, err := http.Get(s.url + "/static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || res.Header.Get("Cache-Control") == "" {
		t.Errorf("app.css: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	if p := s.browser().get("/login"); !strings.Contains(p.body, `/static/app.css?v=`) {
		t.Error("pages should link assets with a version")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestQueueSearch(t *testing.T) {
	s := newSite(t)
	a := s.signedIn("agent")
	p := a.post("/incidents", url.Values{"title": {"Zeppelin hangar door stuck"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d", p.status)
	}
	for _, path := range []string{"/?view=all&q=zeppelin", "/?view=all&q=zeppelin&sort=priority"} {
		res := a.get(path)
		if res.status != http.StatusOK || !strings.Contains(res.body, "Zeppelin hangar door stuck") {
			t.Errorf("%s: %d, search result missing", path, res.status)
		}
		if strings.Contains(res.body, "VPN drops every few minutes") || strings.Contains(res.body, "Outlook keeps asking") {
			t.Errorf("%s: unrelated incidents in the results", path)
		}
	}
}
