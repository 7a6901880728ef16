package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"steward/internal/auth"
	"steward/internal/sla"
	"steward/internal/ticket"
)

// slaCell is the time-to-breach column of a queue row: the open clock
// nearest to its target, in words a desk reads at a glance.
type slaCell struct {
	Label string // "2h 05m left", "Overdue by 40m", "Paused"
	Class string // sla-ok, sla-warn, sla-late, sla-paused
	Title string // which clock, and when it is due
}

// queueClocks reads the open clocks of a page of tickets at once.
func (wb *Web) queueClocks(ctx context.Context, c clock, kind ticket.Kind, ids []int64) (map[int64]slaCell, error) {
	timers, err := wb.slaService().TimersFor(ctx, kind, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]slaCell, len(timers))
	for id, ts := range timers {
		var pick *sla.Timer
		for i := range ts {
			t := &ts[i]
			if !t.Open() || t.State == sla.Cancelled {
				continue
			}
			if pick == nil || t.RemainingSeconds < pick.RemainingSeconds {
				pick = t
			}
		}
		if pick != nil {
			out[id] = clockCell(pick, c, time.Now())
		}
	}
	return out, nil
}

func clockCell(t *sla.Timer, c clock, now time.Time) slaCell {
	tx := c.text()
	metric := human(string(t.Metric))
	cell := slaCell{Title: metric}
	if t.DueAt != nil {
		cell.Title = tx.T("web.queue_sla.title_due", "Metric", metric, "Due", c.zoned(*t.DueAt))
	}
	switch {
	case t.State == sla.Breached || t.RemainingSeconds < 0:
		cell.Class, cell.Label = "sla-late", tx.T("web.queue_sla.overdue")
		if t.BreachedAt != nil {
			switch d := now.Sub(*t.BreachedAt); {
			case d >= 48*time.Hour:
				cell.Label = tx.T("web.queue_sla.overdue_days", "N", int(d.Hours()/24))
			case d >= time.Hour:
				cell.Label = tx.T("web.queue_sla.overdue_hours", "N", int(d.Hours()))
			case d >= time.Minute:
				cell.Label = tx.T("web.queue_sla.overdue_minutes", "N", int(d.Minutes()))
			}
			cell.Title = tx.T("web.queue_sla.title_overdue", "Metric", metric, "Since", c.zoned(*t.BreachedAt))
		}
	case !t.Running || t.State == sla.Paused:
		cell.Class, cell.Label = "sla-paused", tx.T("web.queue_sla.paused_left", "Left", businessDuration(t.RemainingSeconds))
	default:
		cell.Class, cell.Label = "sla-ok", tx.T("web.queue_sla.left", "Left", businessDuration(t.RemainingSeconds))
		if t.TargetSeconds > 0 && t.RemainingSeconds*4 < t.TargetSeconds {
			cell.Class = "sla-warn"
		}
	}
	return cell
}

// tabCount is a queue's tab with how many records it holds, when counting
// is cheap; "" when not counted.
type tabCount struct {
	queueTab
	Count string
}

// maxTabCount is where counting stops; the tab then says "999+".
const maxTabCount = 1000

// countTabs counts each open queue with count, which gets the tab's key;
// "all" is not counted, since it walks everything.
// tabsFor leaves out the tabs of one's own work ("mine", "groups") for an
// auditor, who is given none: they would always be empty.
func tabsFor(p *auth.Principal, tabs []queueTab) []queueTab {
	if p.Role != auth.Auditor {
		return tabs
	}
	var out []queueTab
	for _, t := range tabs {
		if t.Key != "mine" && t.Key != "groups" {
			out = append(out, t)
		}
	}
	return out
}

func countTabs(tabs []queueTab, count func(key string) (int, error)) ([]tabCount, error) {
	out := make([]tabCount, len(tabs))
	for i, t := range tabs {
		out[i].queueTab = t
		if t.Key == "all" || t.Key == "own" || t.Key == "org" {
			continue
		}
		n, err := count(t.Key)
		if err != nil {
			return nil, err
		}
		out[i].Count = strconv.Itoa(n)
		if n >= maxTabCount {
			out[i].Count = strconv.Itoa(maxTabCount-1) + "+"
		}
	}
	return out, nil
}

// maxTrail bounds how many pages back a list remembers.
const maxTrail = 20

// pageLinks builds a keyset-paged list's previous and next links. Keyset
// cursors only go forward, so the cursors of the pages before this one
// ride along in "trail" ("-" stands for the first page).
func pageLinks(path string, filter url.Values, cursor, trail, next string) (prevURL, nextURL string) {
	var back []string
	if trail != "" {
		back = strings.Split(trail, ".")
	}
	link := func(cur string, tr []string) string {
		q := url.Values{}
		for k, v := range filter {
			q[k] = v
		}
		if cur != "" && cur != "-" {
			q.Set("cursor", cur)
		}
		if len(tr) > 0 {
			q.Set("trail", strings.Join(tr, "."))
		}
		return path + "?" + q.Encode()
	}
	if len(back) > 0 {
		prevURL = link(back[len(back)-1], back[:len(back)-1])
	} else if cursor != "" {
		prevURL = link("", nil) // came without a trail: back to the first page
	}
	if next != "" {
		here := cursor
		if here == "" {
			here = "-"
		}
		nextURL = link(next, append(back[max(0, len(back)-maxTrail+1):len(back):len(back)], here))
	}
	return prevURL, nextURL
}
