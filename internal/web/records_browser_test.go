package web_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An agent jumps to a record by its number from the top bar, attaches a
// file, links the incident to a request, and follows the link; the
// requester sees the file on their own incident.
func TestBrowserFilesLinksAndSearch(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	b := openTab(t, bin, s.url, shots)
	b.login("agent@steward.demo")

	// "inc-1" in the top bar opens INC-000001.
	b.do(chromedp.SendKeys(chromedp.CSS("#top-q"), "inc-1\n"), chromedp.WaitVisible(chromedp.CSS(".incident-head h1")))
	if crumb := b.text(".crumbs .mono"); crumb != "INC-000001" {
		t.Fatalf("searching inc-1 opened %q", crumb)
	}

	file := filepath.Join(t.TempDir(), "switch-log.txt")
	if err := os.WriteFile(file, []byte("port 12 flapping since 08:02\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#attach-file"), []string{file}),
		chromedp.Click(chromedp.CSS(`form.attach button[type="submit"]`)))
	b.waitFlash("File attached.")
	if files := b.text(".file-list"); !strings.Contains(files, "switch-log.txt") || !strings.Contains(files, "29 bytes") {
		t.Fatalf("files after the upload: %q", files)
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`fetch(document.querySelector('.file-name').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil || got != "port 12 flapping since 08:02\n" {
		t.Fatalf("downloading the file gave %q (%v)", got, err)
	}

	// A number that does not exist is named in the form, and what was
	// typed stays.
	b.do(chromedp.SendKeys(chromedp.CSS("#link-target"), "INC-999999"),
		chromedp.Click(chromedp.CSS(`form.link-add button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".record-links .field-error")))
	if msg := b.text(".record-links .field-error"); !strings.Contains(msg, "INC-999999") {
		t.Fatalf("link error: %q", msg)
	}
	if typed, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#link-target"))); typed != "INC-999999" {
		t.Fatalf("the form lost what was typed: %q", typed)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#link-target"), "req-1"),
		chromedp.SetValue(chromedp.CSS(`form.link-add select[name="type"]`), "caused_by"),
		chromedp.Click(chromedp.CSS(`form.link-add button[type="submit"]`)))
	b.waitFlash("Link added.")
	if links := b.text(".link-list"); !strings.Contains(links, "REQ-000001") || !strings.Contains(strings.ToLower(links), "caused by") {
		t.Fatalf("links after linking: %q", links)
	}
	b.shot("incident-files-links")
	// Nothing on the page is wider than a phone: a file's hash wraps.
	b.do(chromedp.EmulateViewport(390, 844))
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 391).length`))
	if err != nil || wide != 0 {
		t.Fatalf("%d elements stick out of a phone's screen (%v)", wide, err)
	}
	b.do(chromedp.EmulateViewport(1366, 900))
	b.navigates(chromedp.Click(chromedp.CSS(".link-list .link-target")))
	if links := b.text(".link-list"); !strings.Contains(links, "INC-000001") || !strings.Contains(strings.ToLower(links), "causes") {
		t.Fatalf("the request's side of the link: %q", links)
	}
	b.shot("request-links")

	// Words search every kind.
	b.do(chromedp.SendKeys(chromedp.CSS("#top-q"), "printer\n"), chromedp.WaitVisible(chromedp.CSS("#search-q")))
	if res := b.text("main"); !strings.Contains(res, "INC-") {
		t.Fatalf("searching printer: %q", res)
	}
	b.shot("search")
}

// An agent saves a filter from the queue, ticks two rows and one that
// cannot move, applies a bulk change and reads the result of each row.
func TestBrowserSavedFiltersAndBulkEdit(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	shots := os.Getenv("STEWARD_SCREENSHOTS")
	b := openTab(t, bin, s.url, shots)
	b.login("agent@steward.demo")

	// Pages go forward and back.
	first := func() string {
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('table.queue tbody tr .c-num a').textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	b.do(chromedp.Navigate(s.url+"/?view=all"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	page1 := first()
	b.navigates(chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)))
	page2 := first()
	b.navigates(chromedp.Click(chromedp.CSS(`.pager a[rel="next"]`)))
	b.navigates(chromedp.Click(chromedp.CSS(`.pager a[rel="prev"]`)))
	if got := first(); got != page2 || page1 == page2 {
		t.Fatalf("back from page 3 shows %s first, page 2 began with %s (page 1 with %s)", got, page2, page1)
	}
	b.navigates(chromedp.Click(chromedp.CSS(`.pager a[rel="prev"]`)))
	if got := first(); got != page1 {
		t.Fatalf("back to page 1 shows %s first, want %s", got, page1)
	}

	// A tab's count is the number of rows it lists.
	b.do(chromedp.Navigate(s.url+"/?view=unassigned"), chromedp.WaitVisible(chromedp.CSS(".tabs")))
	count := b.text(`.tabs a[aria-current="page"] .tab-count`)
	listed, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.queue tbody tr').length`))
	if err != nil || count != strconv.Itoa(listed) || listed == 0 {
		t.Fatalf("the Unassigned tab says %q and lists %d rows (%v)", count, listed, err)
	}
	// Open incidents under an SLA show their time to breach.
	b.do(chromedp.Navigate(s.url+"/?view=open"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	if clocks := b.text("table.queue"); !strings.Contains(clocks, " left") && !strings.Contains(clocks, "Overdue") {
		t.Fatalf("no time to breach in the open queue: %q", clocks)
	}

	b.do(chromedp.Navigate(s.url+"/?view=open&priority=P3"), chromedp.WaitVisible(chromedp.CSS("table.queue")),
		chromedp.Click(chromedp.CSS(".save-filter > summary")),
		chromedp.SendKeys(chromedp.CSS("#save-name"), "Open P3s"),
		chromedp.Click(chromedp.CSS(`.save-filter-form input[name="shared"]`)),
		chromedp.Click(chromedp.CSS(`.save-filter-form button[type="submit"]`)))
	b.waitFlash("Filter saved.")
	if chip := b.text(".chip.is-current"); !strings.Contains(chip, "Open P3s") || !strings.Contains(chip, "shared") {
		t.Fatalf("the saved filter should be listed and lit: %q", chip)
	}
	b.do(chromedp.Navigate(s.url+"/?view=all"), chromedp.WaitVisible(chromedp.CSS(".chip a")))
	b.navigates(chromedp.Click(chromedp.CSS(".chip a")))
	if sel, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#f-priority"))); sel != "P3" {
		t.Fatalf("following the saved filter should filter on P3, the priority box says %q", sel)
	}
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('input[name="refs"]')).slice(0, 2).map(b => b.value)`))
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows to tick: %v %v", rows, err)
	}
	b.do(chromedp.Click(chromedp.CSS(`input[name="refs"][value="`+rows[0]+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name="refs"][value="`+rows[1]+`"]`)),
		chromedp.SetValue(chromedp.CSS("#bulk-assignee"), "me"),
		chromedp.SetValue(chromedp.CSS("#bulk-state"), "resolved"))
	b.shot("queue-bulk")
	b.do(chromedp.Click(chromedp.CSS(`.bulk-bar button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".bulk-results")))
	res := b.text(".bulk-results")
	if !strings.Contains(res, rows[0]) || !strings.Contains(res, "Not applied") || !strings.Contains(strings.ToLower(res), "resolution") {
		t.Fatalf("resolving without a resolution code should be refused per row: %q", res)
	}
	b.shot("bulk-result")
	b.do(chromedp.Click(chromedp.CSS(".page-head a.btn")), chromedp.WaitVisible(chromedp.CSS("table.queue")),
		chromedp.Click(chromedp.CSS(`input[name="refs"][value="`+rows[0]+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name="refs"][value="`+rows[1]+`"]`)),
		chromedp.SetValue(chromedp.CSS("#bulk-assignee"), "me"),
		chromedp.Click(chromedp.CSS(`.bulk-bar button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".bulk-results")))
	if res := b.text(".page-head"); !strings.Contains(res, "2 applied") {
		t.Fatalf("assigning two rows: %q", res)
	}
	b.do(chromedp.Navigate(s.url+"/incidents/"+rows[1]), chromedp.WaitVisible(chromedp.CSS(".props-list")))
	if props := b.text(".props-list"); !strings.Contains(props, "Alex Agent") {
		t.Fatalf("%s should be assigned to the agent: %q", rows[1], props)
	}

	// A hidden column stays hidden on the next visit.
	visible := func() bool {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('table.queue th.c-cust')).display !== 'none'`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	b.do(chromedp.Navigate(s.url+"/?view=open"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	if !visible() {
		t.Fatal("the customer column should show at first")
	}
	b.do(chromedp.Click(chromedp.CSS("details.columns > summary")),
		chromedp.Click(chromedp.CSS(`details.columns input[value="c-cust"]`)))
	if visible() {
		t.Fatal("unticking Customer should hide the column")
	}
	b.do(chromedp.Navigate(s.url+"/?view=all"), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	if visible() {
		t.Fatal("the hidden column came back on the next page")
	}
}
