package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An admin builds a definition whose filter has two groups, "priority is
// P1" or "customer is Contoso Health", in the browser; an incident that
// meets only the second group gets its clock, and one that meets neither
// gets none.
func TestBrowserDefinitionGroups(t *testing.T) {
	bin := chromium(t)
	s := newSite(t)
	b := openTab(t, bin, s.url, screenshotsDir(t))
	agreement := dbID(t, s, "SELECT id FROM agreements WHERE name = 'WAN carrier contract'")
	cust := dbID(t, s, "SELECT id FROM customers WHERE name = 'Contoso Health'")
	other := dbID(t, s, "SELECT id FROM customers WHERE name = 'Fabrikam Logistics'")
	value := func(list string, row int, v any) string {
		return fmt.Sprintf(`input[name="%s_%d_value"][value="%v"]`, list, row, v)
	}
	const name = "Urgent or Contoso resolution"

	b.do(chromedp.EmulateViewport(1280, 900))
	b.login("admin@steward.demo")
	b.do(chromedp.Navigate(fmt.Sprintf("%s/sla-definitions/new?agreement_id=%d", s.url, agreement)), chromedp.WaitVisible(chromedp.CSS("#def-name")))
	if n := b.count(`[data-cond-any="filter"] .cond-group-title`); n != 1 {
		t.Fatalf("%d group titles on a new filter", n)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#def-name"), name),
		chromedp.SetValue(chromedp.CSS("#filter-new"), "priority"),
		chromedp.Click(chromedp.CSS(`[data-conditions="filter"] [data-cond-add]`)), chromedp.WaitVisible(chromedp.CSS(value("filter", 0, "P1"))),
		chromedp.Click(chromedp.CSS(value("filter", 0, "P1"))),
		// A second group, in place: it comes with a row, whose field is changed to the customer.
		chromedp.Click(chromedp.CSS(`[data-cond-any="filter"] [data-cond-add-group]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-conditions="filter_g1"] [data-cond-row]`)))
	if got := b.text(`[data-cond-any="filter"] .cond-or`); got != "OR" && got != "or" {
		t.Fatalf("the divider between groups reads %q", got)
	}
	b.do(chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector('#filter_g1-0-field'); f.value = 'customer_id';
		f.dispatchEvent(new Event('change', {bubbles: true})); })()`),
		chromedp.WaitVisible(chromedp.CSS(value("filter_g1", 0, cust))), chromedp.Click(chromedp.CSS(value("filter_g1", 0, cust))))
	// A third group, added and removed in place, leaves nothing behind.
	b.do(chromedp.Click(chromedp.CSS(`[data-cond-any="filter"] [data-cond-add-group]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-conditions="filter_g2"]`)),
		chromedp.Click(chromedp.CSS(`[data-cond-group="2"] [data-cond-remove-group]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`[data-conditions="filter_g2"]`)))
	b.shotAt("definition-groups", `[data-cond-any="filter"]`)
	b.phoneCheck("the definition form with two groups")
	b.do(chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
	b.waitFlash("Saved.")
	if n := b.count(`[data-cond-any="filter"] [data-cond-group]`); n != 2 {
		t.Fatalf("the saved definition shows %d groups", n)
	}
	for _, sel := range []string{value("filter", 0, "P1"), value("filter_g1", 0, cust)} {
		on, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('`+sel+`').checked`))
		if err != nil || !on {
			t.Fatalf("%s is not ticked on the saved definition (%v)", sel, err)
		}
	}
	b.shot("definition-groups-saved")

	raise := func(title string, customer int64) string {
		b.do(chromedp.Navigate(s.url+"/incidents/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
			chromedp.SendKeys(chromedp.CSS("#title"), title),
			chromedp.SetValue(chromedp.CSS("#impact"), "low"), chromedp.SetValue(chromedp.CSS("#urgency"), "low"),
			chromedp.SetValue(chromedp.CSS("#new-customer_id"), fmt.Sprint(customer)),
			chromedp.Click(chromedp.CSS(`.form-actions button[type="submit"]`)))
		b.waitFlash("Incident created.")
		return b.text("main")
	}
	// Low priority, so only the second group (the customer) can match.
	if page := raise("Ward printer offline", cust); !strings.Contains(page, name) {
		t.Fatalf("the incident meeting the second group has no clock from %q: %q", name, page)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(".sla-timers")))
	b.shot("definition-groups-timer")
	if page := raise("Depot scanner offline", other); strings.Contains(page, name) {
		t.Fatalf("an incident meeting no group has a clock from %q", name)
	}

	// Agents read the groups in words.
	b.logout()
	b.login("agent@steward.demo")
	b.do(chromedp.Navigate(s.url+"/agreements/"+fmt.Sprint(agreement)), chromedp.WaitVisible(chromedp.CSS("h1")),
		chromedp.Click(`//a[normalize-space(.)="`+name+`"]`), chromedp.WaitVisible(chromedp.CSS(".props-list")))
	if got := b.text(".props-list"); !strings.Contains(got, "Priority is P1; or Customer is Contoso Health") {
		t.Fatalf("the definition reads %q", got)
	}
}
