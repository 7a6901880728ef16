package demo

import (
	"context"
	"log/slog"
	"time"

	"steward/internal/auth"
	"steward/internal/knowledge"
	"steward/internal/store"
)

// demoArticle is one article of the demo's knowledge base, with the demo
// story categories and subcategories whose incidents it answers.
type demoArticle struct {
	Title, Body string
	Audience    knowledge.Audience
	State       knowledge.State
	Answers     []string // story subcategories: "vpn", "printer", ...
	Overdue     bool     // its review date has passed
	Customer    string   // limited to this customer, when set
}

// DemoArticles are the demo's articles. Answers ties each to the demo
// incidents it helps with, which the suggestion benchmark measures.
var DemoArticles = []demoArticle{
	{Title: "Set up or resync your VPN token", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"vpn"},
		Body: "The VPN asks for a one-time code from your **VPN token** (the authenticator app on your phone).\n\n" +
			"1. Open the authenticator app and find the *Steward VPN* entry.\n2. If the client stops at \"Authenticating\" and times out, the token is out of step: " +
			"open the self-service portal, choose **Resync token** and enter two codes in a row.\n3. A new phone needs the token enrolled again: scan the QR code from the portal.\n\n" +
			"If the VPN still will not connect, raise an incident and say where you are working from."},
	{Title: "VPN keeps disconnecting or is slow", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"vpn"},
		Body: "Hotel, train and guest networks often break the VPN tunnel after a few minutes.\n\n" +
			"- In the VPN client choose **Settings → Transport → TCP** and connect again.\n- Close large downloads and video calls you do not need while connected.\n" +
			"- If the VPN drops every few minutes from the office too, raise an incident: the gateway may be at fault."},
	{Title: "Printer prints blank pages or will not print", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"printer"},
		Body: "1. Check the printer's display for toner or paper warnings.\n2. Remove the print job from the queue (Settings → Printers → Open queue) and print again.\n" +
			"3. Blank pages usually mean an empty or unsealed toner cartridge: take the cartridge out and pull the seal.\n4. If you cannot print to the floor printer at all, add it again from the printer list."},
	{Title: "Clear a paper jam that will not go away", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"printer"},
		Body: "Open every tray and the rear door; a small torn piece of paper keeps the jam error on. Switch the printer off and on. If the error stays, raise an incident with the printer's name."},
	{Title: "Outlook keeps asking for your password", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"email"},
		Body: "After a password change Outlook and the phone's mail app keep the old one.\n\n1. Close Outlook.\n2. Open **Credential Manager**, remove the entries named *MicrosoftOffice*.\n" +
			"3. Start Outlook and sign in with the new password.\n\nOn a phone, remove the e-mail account and add it again."},
	{Title: "E-mails stuck in the outbox", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"email"},
		Body: "Messages with large attachments stay in the outbox. Move big files to the shared drive and send a link instead, then choose **Send/Receive all**. Work offline mode also keeps mail in the outbox: switch it off."},
	{Title: "Reset your password or unlock your account", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"accounts"},
		Body: "Use the self-service password page: enter your e-mail address, confirm the code sent to your phone and choose a new password.\n\n" +
			"An account locks after five wrong passwords and unlocks by itself after 15 minutes. New starters get their account on their first day from their manager's request."},
	{Title: "Wi-Fi slow or dropping: first checks", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"wifi"}, Overdue: true,
		Body: "Forget the network and join it again. Move closer to an access point; meeting rooms with glass walls are weak spots. Guests use the *Guest* network with the daily code from reception."},
	{Title: "Map the shared drive again", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"file share"},
		Body: "Open File Explorer, choose **This PC → Map network drive**, pick the letter S: and enter `\\\\files\\shared`. Access denied means your group membership is missing: raise a request for access."},
	{Title: "Teams calls have no audio", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"collaboration"},
		Body: "In Teams open **Settings → Devices** and choose your headset as speaker and microphone. Unplug and plug the headset in again; docking stations sometimes take the audio over."},
	{Title: "Laptop will not start after an update", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"laptop"},
		Body: "Hold the power button for 15 seconds, unplug the dock and start again. If the laptop shows the recovery screen, do not reset it: raise an incident, an agent has the recovery key."},
	{Title: "Find your payslip in the payroll portal", Audience: knowledge.Requesters, State: knowledge.Published, Answers: []string{"payroll"}, Customer: "Northwind Traders",
		Body: "Payslips appear on the 25th under **My documents → Payslips**. Sign in with your company account; the portal login fails with the old password for an hour after a change."},
	{Title: "ERP invoice run times out: restart the batch queue", Audience: knowledge.Agents, State: knowledge.Published, Answers: []string{"erp"},
		Body: "The invoice run times out when the batch queue holds a stuck job. On erp-app-1 run `erpctl queue list`, cancel the job older than an hour and start the run again. Tell the requester the run is restarted."},
	{Title: "Web shop returns 502 at checkout: check the payment gateway", Audience: knowledge.Agents, State: knowledge.Published, Answers: []string{"web shop"},
		Body: "A 502 at checkout is nearly always the payment gateway's health check failing. Check the gateway status page and the load balancer's pool; fail over to the second gateway if one is down."},
	{Title: "Badge reader offline: what facilities needs to know", Audience: knowledge.Agents, State: knowledge.Draft, Answers: []string{"access control"},
		Body: "Note the reader's door and floor, whether its light is red or off, and call facilities on extension 4400."},
	{Title: "Guest Wi-Fi for visitors", Audience: knowledge.Requesters, State: knowledge.Review, Answers: []string{"wifi"},
		Body: "Visitors join the *Guest* network with the code reception hands out each morning; it lasts one day."},
	{Title: "Install the old VPN client 4.x", Audience: knowledge.Requesters, State: knowledge.Retired, Answers: nil,
		Body: "The 4.x client is no longer supported; install the current client from the software centre."},
}

// loadKnowledge writes the demo's knowledge base as its administrator
// would have: published articles for requesters and agents, one limited
// to a customer, one overdue for review, a draft, one in review and a
// retired one, with a few suggested articles opened by requesters.
func loadKnowledge(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM kb_articles").Scan(&n); err != nil || n > 0 {
		return err
	}
	u, err := auth.UserByEmail(ctx, db, "admin@steward.demo")
	if err != nil {
		return err
	}
	admin := &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role}
	svc := knowledge.NewService(db, slog.New(slog.DiscardHandler))
	today := time.Now().UTC()
	for _, d := range DemoArticles {
		st := d.State
		if st == knowledge.Retired {
			st = knowledge.Published
		}
		in := knowledge.Input{Title: &d.Title, Body: &d.Body, Audience: &d.Audience, State: &st}
		svc.Now = nil
		if d.Overdue {
			// Written a year ago with a review date that has since passed.
			past := today.AddDate(0, 0, -12).Format(knowledge.DateLayout)
			in.ReviewDate = &past
			svc.Now = func() time.Time { return today.AddDate(-1, 0, 0) }
		}
		if d.Customer != "" {
			var cid int64
			if err := db.QueryRow(ctx, "SELECT id FROM customers WHERE name = ?", d.Customer).Scan(&cid); err != nil {
				return err
			}
			in.CustomerIDs = &[]int64{cid}
		}
		a, err := svc.Create(ctx, admin, in)
		if err != nil {
			return err
		}
		if d.State == knowledge.Retired {
			if _, err := svc.Move(ctx, admin, a.ID, "retire", 0); err != nil {
				return err
			}
		}
	}
	return loadOpens(ctx, db, today)
}

// loadOpens has the demo requester open the VPN article from a few of
// her resolved incidents before they were resolved, as the deflection
// count reads them.
func loadOpens(ctx context.Context, db *store.DB, now time.Time) error {
	rows, err := db.Query(ctx, `SELECT i.id, i.requester_id, i.created_at FROM incidents i JOIN users u ON u.id = i.requester_id
		WHERE u.email = 'requester@steward.demo' AND i.state IN ('resolved', 'closed') AND i.category = 'network' ORDER BY i.id DESC LIMIT 3`)
	if err != nil {
		return err
	}
	type row struct {
		id, user int64
		at       store.Time
	}
	var list []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.user, &r.at); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var article int64
	if err := db.QueryRow(ctx, "SELECT id FROM kb_articles ORDER BY id LIMIT 1").Scan(&article); err != nil {
		return err
	}
	for _, r := range list {
		if _, err := db.Exec(ctx, "INSERT INTO kb_opens (article_id, user_id, context, incident_id, opened_at) VALUES (?, ?, 'incident', ?, ?)",
			article, r.user, r.id, store.TS(r.at.Add(10*time.Minute))); err != nil {
			return err
		}
	}
	return nil
}
