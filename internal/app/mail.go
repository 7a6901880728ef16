package app

import (
	"time"

	"steward/internal/api"
	"steward/internal/mail"
	"steward/internal/notify"
	"steward/internal/web"
)

// mailArea is outgoing mail: the outbox's delivery and digest jobs, the
// admin's view of the outbox, each person's mail settings and the
// password-reset pages. The dispatcher and the sender run as soon as
// there is work (the transaction that makes it enqueues them) and sweep
// every few minutes besides, for messages whose sender's node died.
func (a *App) mailArea() area {
	return area{name: "outgoing mail",
		jobs: []job{
			{kind: notify.MailJob, run: a.Mail.Dispatch, every: 5 * time.Minute},
			{kind: mail.SendJob, run: a.Mail.Deliver, concurrency: 2, every: 5 * time.Minute},
			{kind: mail.DigestJob, run: a.Mail.SendDigests, every: time.Hour},
		},
		api: api.MailRoutes(a.Mail), pages: web.MailPages(a.Mail),
		nav: []web.NavEntry{
			{Menu: "Administration", Label: "Outgoing mail", Href: "/admin/mail", Perm: mail.PermAdmin, Lit: []string{"mail-outbox"}},
		},
	}
}
