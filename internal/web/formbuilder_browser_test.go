package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An admin builds an item's form from rows (a choice, a yes/no and a
// question shown only after "yes"), tries it in the preview, and a
// requester orders the item: the dependent question appears only once
// its answer is given.
func TestBrowserFormBuilder(t *testing.T) {
	bin := chromium(t)
	s := requestSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	service := dbID(t, s, "SELECT service_id FROM catalog_items WHERE name = 'New laptop'")
	shown := func(sel string) bool {
		t.Helper()
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function () { var e = document.querySelector('`+sel+`'); return !!e && !e.closest("[hidden]"); })()`))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	addQuestion := func(i int) {
		b.do(chromedp.Click(chromedp.CSS(`button[value="add-question"]`)), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#q-%d-label", i))))
	}

	b.do(chromedp.EmulateViewport(1366, 900))
	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(s.url+"/catalog/items/new"), chromedp.WaitVisible(chromedp.CSS("#q-0-label")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Second screen"),
		chromedp.SetValue(chromedp.CSS("#service_id"), fmt.Sprint(service)),
		chromedp.SetValue(chromedp.CSS("#q-0-type"), "choice"),
		chromedp.SendKeys(chromedp.CSS("#q-0-label"), "Size"),
		chromedp.WaitVisible(chromedp.CSS("#q-0-choices")),
		chromedp.SendKeys(chromedp.CSS("#q-0-choices"), "24 inch\n27 inch"),
		chromedp.Click(chromedp.CSS("#q-0-required")))
	addQuestion(1)
	b.do(chromedp.SetValue(chromedp.CSS("#q-1-type"), "yes_no"), chromedp.SendKeys(chromedp.CSS("#q-1-label"), "Wall mount?"))
	addQuestion(2)
	// The row added by the server keeps what was typed and offers the
	// questions above as conditions.
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#q-0-choices"))); !strings.Contains(got, "27 inch") {
		t.Fatalf("the first question's choices after adding one: %q", got)
	}
	pick := func(id, value string) {
		t.Helper()
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function () { var e = document.getElementById("`+id+`");
			e.value = "`+value+`"; e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === "`+value+`"; })()`)); err != nil {
			t.Fatal(err)
		}
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#q-2-label"), "Which wall?"))
	pick("q-2-when-field", "wall_mount")
	// A yes/no question's answer is picked, not typed.
	b.do(chromedp.WaitReady(chromedp.CSS(`select#q-2-when-value option[value="yes"]`)))
	if got := b.text("#q-2-when-value"); !strings.Contains(got, "Yes") || !strings.Contains(got, "No") {
		t.Fatalf("the answers offered for a yes/no question: %q", got)
	}
	pick("q-2-when-value", "yes")
	// The preview follows the rows, and hides the question until "yes".
	b.do(chromedp.WaitReady(chromedp.CSS(`[data-fb-preview] [data-key="which_wall"][hidden]`)))
	b.do(chromedp.Click(chromedp.CSS(`[data-fb-preview] input[name="a.wall_mount"][value="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-fb-preview] #pv-which_wall`)))
	b.shot("form-builder")
	if b.shots != "" {
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("question-1").scrollIntoView(), true`)); err != nil {
			t.Fatal(err)
		}
		b.shot("form-builder-rows")
	}
	// The third question moves up, above the one it depends on, and says so.
	// Moving reloads the page, whose old rows are still there until the
	// new page replaces them: wait for the new order itself.
	b.do(chromedp.Click(chromedp.CSS(`button[value="up:2"]`)))
	b.waitValue("#q-1-label", "Which wall?")
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[value="save"]`)), chromedp.WaitVisible(chromedp.CSS(".fb-errors")))
	if got := b.text(".fb-errors"); got != "Question 2: it can only depend on a question above it." {
		t.Fatalf("the moved question says %q", got)
	}
	b.shot("form-builder-errors")
	b.do(chromedp.Click(chromedp.CSS(`button[value="down:1"]`)))
	b.waitValue("#q-2-label", "Which wall?")
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[value="save"]`)))
	b.waitFlash("Catalogue item saved.")
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	item := strings.TrimPrefix(loc, s.url+"/catalog/items/")
	item, _, _ = strings.Cut(item, "?")
	b.logout()

	b.login("requester@steward.demo")
	b.do(chromedp.Navigate(s.url+"/catalog/items/"+item), chromedp.WaitVisible(chromedp.CSS("#q-size")))
	if shown("#q-which_wall") {
		t.Fatal("the wall is asked before a wall mount is wanted")
	}
	b.do(chromedp.SetValue(chromedp.CSS("#q-size"), "27 inch"),
		chromedp.Click(chromedp.CSS(`input[name="a.wall_mount"][value="true"]`)), chromedp.WaitVisible(chromedp.CSS("#q-which_wall")),
		chromedp.SendKeys(chromedp.CSS("#q-which_wall"), "Behind desk 12"))
	b.shot("form-builder-requester")
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Request submitted.")
	if answers := b.text(".rq-answers"); !strings.Contains(answers, "Behind desk 12") || !strings.Contains(answers, "27 inch") {
		t.Fatalf("the request's answers: %q", answers)
	}
}
