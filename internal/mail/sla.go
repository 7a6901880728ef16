package mail

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"steward/internal/i18n"
	"steward/internal/store"
)

// slaEvent is the warning or breach a service-level notification
// announces, as the activity feed recorded it in the same transaction.
type slaEvent struct {
	Metric  string    `json:"metric"` // response, resolution
	Percent int       `json:"percent"`
	At      time.Time `json:"reached_at"`
}

// entities are the activity feed's entity names by number prefix.
var entities = map[string]string{"INC": "incident", "REQ": "request"}

// slaEventOf reads the feed's entry for n, a notification of kind
// sla.warning or sla.breach: the latest of its kind for its record
// written no later than n; ok is false when there is none.
func slaEventOf(ctx context.Context, q store.Querier, n note) (slaEvent, bool, error) {
	var ev slaEvent
	prefix, num, _ := strings.Cut(refOf(n), "-")
	entity, known := entities[prefix]
	id, err := strconv.ParseInt(num, 10, 64)
	if !known || err != nil {
		return ev, false, nil
	}
	var data string
	err = store.ScanErr(q.QueryRow(ctx, `SELECT data FROM activity WHERE entity = ? AND entity_id = ? AND kind = ? AND at <= ?
		ORDER BY id DESC LIMIT 1`, entity, id, n.Kind, store.TS(n.CreatedAt)).Scan(&data))
	if errors.Is(err, store.ErrNotFound) {
		return ev, false, nil
	} else if err != nil {
		return ev, false, err
	}
	if json.Unmarshal([]byte(data), &ev) != nil || ev.Metric == "" {
		return ev, false, nil
	}
	return ev, true, nil
}

// slaTitle names the target a service-level notification is about:
// "Resolution target breached", "Response target: half used".
func slaTitle(tx i18n.Text, kind string, ev slaEvent) string {
	target := tx.T("mail.sla.target." + ev.Metric)
	if kind == "sla.breach" {
		return tx.T("mail.sla.breached", "Target", target)
	}
	used := tx.T("mail.sla.used." + strconv.Itoa(ev.Percent))
	if strings.HasPrefix(used, "mail.sla.used.") || used == "" {
		used = strconv.Itoa(ev.Percent) + " %"
	}
	return tx.T("mail.sla.warning", "Target", target, "Used", used)
}
