package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"steward/internal/demo"
)

// chromium finds a browser binary, or skips (fails when required).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("STEWARD_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("STEWARD_TEST_BROWSER") == "require" {
		t.Fatal("no chromium binary found (looked for chromium, chromium-browser and STEWARD_TEST_CHROMIUM) but STEWARD_TEST_BROWSER=require")
	}
	t.Skip("skipping the browser test: no chromium binary found (install chromium or set STEWARD_TEST_CHROMIUM)")
	return ""
}

// tab is one browser tab on the site with a screenshot helper.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// waitFlash waits for the notice a completed form leaves on the next page.
func (b *tab) waitFlash(msg string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "` + msg + `")]`))
}

// waitValue waits until the field sel holds want, which tells a reloaded
// page from the one it replaces when both have the same fields.
func (b *tab) waitValue(sel, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`(function () { var e = document.querySelector(%q); return e ? e.value : null; })()`, sel)
	var got *string
	for {
		// A page being replaced answers with an error; ask again.
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[*string](js))
		if err == nil && v != nil && *v == want {
			return
		}
		if err == nil {
			got = v
		}
		select {
		case <-b.ctx.Done():
			if got != nil {
				b.t.Fatalf("%s holds %q, want %q", sel, *got, want)
			}
			b.t.Fatalf("%s never held %q", sel, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// navigates runs steps that leave the page (a link, a form's submit) and
// waits until a new document has replaced the old one: waiting on an
// element instead could find it on the page being left.
func (b *tab) navigates(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.__leaving = true`))
	b.do(steps...)
	for {
		// A page being replaced answers with an error; ask again.
		fresh, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!window.__leaving && document.readyState === "complete"`))
		if err == nil && fresh {
			return
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatal("the page was never replaced")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *tab) login(email string) {
	b.t.Helper()
	b.do(
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS(`.login-card button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".topbar .me")),
	)
}

func (b *tab) logout() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#email")))
}

// shot saves the page at desktop width (whole page) and phone width (the
// first screen) when screenshots are asked for.
func (b *tab) shot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	for _, size := range []struct {
		label string
		w, h  int64
		scale float64
		full  bool
	}{{"desktop", 1366, 900, 1, true}, {"phone", 390, 844, 2, false}} {
		png, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if _, err := chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(size.scale))(ctx, t); err != nil {
				return nil, err
			}
			if size.full {
				return chromedp.FullScreenshot(100)(ctx, t)
			}
			return chromedp.CaptureScreenshot()(ctx, t)
		})
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shots, size.label+"-"+name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1366, 900))
}

// darkShot saves the current page again with the dark colour scheme.
func (b *tab) darkShot(name string) {
	b.t.Helper()
	if b.shots == "" {
		return
	}
	scheme := func(v string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				// Reduced motion turns transitions off, so the shot shows the end state.
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}, {Name: "prefers-reduced-motion", Value: "reduce"}}})
			return err
		})
	}
	b.do(scheme("dark"))
	b.shot("dark-" + name)
	b.do(scheme("light"))
}

// openTab starts a headless browser for the length of the test and opens
// one tab on base.
func openTab(t *testing.T, bin, base, shots string) *tab {
	t.Helper()
	// One deadline for the whole walk; chromedp's own waits do the pacing.
	root, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc(); cancel() })
	return &tab{t: t, ctx: ctx, base: base, shots: shots}
}

func TestBrowserFlows(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openTab(t, bin, s.url, shots)
	b.do(chromedp.EmulateViewport(1366, 900), chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("login")

	// The agent raises, takes and resolves an incident.
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/?view=all"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	b.shot("queue")
	b.darkShot("queue")
	b.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#description"), "Half the floor has no network since the switch reboot."),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".field-error")))
	b.shot("new-incident-errors")
	b.do(chromedp.SendKeys(chromedp.CSS("#title"), "Switch on floor 3 down"),
		chromedp.SetValue(chromedp.CSS("#impact"), "high"),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	if got := b.text(".incident-head h1"); got != "Switch on floor 3 down" {
		t.Fatalf("detail heading %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/assign-to-me"] button`)))
	b.waitFlash("Assigned to you.")
	if props := b.text(".props-list"); !strings.Contains(props, "Alex Agent") || !strings.Contains(props, "In progress") {
		t.Fatalf("after assigning: %q", props)
	}
	b.do(chromedp.Click(chromedp.CSS("details.resolve > summary")),
		chromedp.WaitVisible(chromedp.CSS("#resolution_notes")),
		chromedp.SetValue(chromedp.CSS("#resolution_code"), "fixed"),
		chromedp.SendKeys(chromedp.CSS("#resolution_notes"), "Replaced the failed power supply."),
		chromedp.Click(chromedp.CSS(`form[action$="/resolve"] button[type="submit"]`)))
	b.waitFlash("Incident resolved.")
	if st := b.text(".head-meta .pill"); st != "Resolved" {
		t.Fatalf("state after resolving: %q", st)
	}
	b.shot("incident")
	b.darkShot("incident")
	b.logout()

	// The requester raises one and comments on it.
	b.login("requester@steward.demo")
	b.do(chromedp.Click(chromedp.CSS(`.page-head a[href="/incidents/new"]`)),
		chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Cannot open the shared calendar"),
		chromedp.SendKeys(chromedp.CSS("#description"), "It says access denied."),
		chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Incident created.")
	number := b.text(".crumbs .mono")
	b.do(chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	if list := b.text("table.queue"); !strings.Contains(list, number) {
		t.Fatalf("requester's list lacks %s", number)
	}
	b.do(chromedp.Navigate(s.url+"/incidents/"+number), chromedp.WaitVisible(chromedp.CSS("#comment-body")),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "It started after the password change."),
		chromedp.Click(chromedp.CSS(`form[action$="/comments"] button`)))
	b.waitFlash("Comment added.")
	b.logout()

	// The agent answers in public and notes something internal.
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/incidents/"+number), chromedp.WaitVisible(chromedp.CSS("#comment-body")),
		chromedp.SendKeys(chromedp.CSS("#comment-body"), "Please sign out and in again; the permission is fixed."),
		chromedp.Click(chromedp.CSS(`form[action$="/comments"] button`)))
	b.waitFlash("Comment added.")
	b.do(chromedp.SendKeys(chromedp.CSS("#note-body"), "Calendar ACL was missing the new group."),
		chromedp.Click(chromedp.CSS(`form[action$="/notes"] button`)))
	b.waitFlash("Work note added.")
	b.logout()

	// The requester sees the reply and not the note.
	b.login("requester@steward.demo")
	b.shot("requester-home")
	b.do(chromedp.Navigate(s.url+"/incidents/"+number), chromedp.WaitVisible(chromedp.CSS(".journal")))
	journal := b.text(".journal")
	if !strings.Contains(journal, "the permission is fixed") || !strings.Contains(journal, "after the password change") {
		t.Fatalf("requester's journal lacks the conversation: %q", journal)
	}
	if strings.Contains(journal, "ACL") || strings.Contains(journal, "Work note") {
		t.Fatalf("requester sees a work note: %q", journal)
	}
	b.shot("requester-incident")
	b.logout()

	// The administration pages open and render.
	b.login("admin@steward.demo")
	for _, p := range []struct{ path, name, heading string }{
		{"/users", "users", "Users"}, {"/users/new", "user-new", "New user"}, {"/customers", "customers", "Customers"},
		{"/tokens", "tokens", "API tokens"}, {"/audit", "audit", "Audit trail"},
	} {
		b.do(chromedp.Navigate(s.url+p.path), chromedp.WaitVisible(chromedp.CSS(".page-head h1")))
		if h := b.text(".page-head h1"); h != p.heading {
			t.Fatalf("%s: heading %q", p.path, h)
		}
		b.shot(p.name)
	}
}
