package app

import (
	"context"

	"steward/internal/api"
	"steward/internal/mailin"
	"steward/internal/web"
)

// inboundMailArea is incoming mail: the IMAP poller and the SMTP listener
// as runners, the job that puts a message's files on its record, the
// address map, held messages and the log of what came in.
func (a *App) inboundMailArea() area {
	return area{name: "incoming mail",
		jobs: []job{{kind: mailin.FilesJob, run: a.Inbound.RunFilesJob, concurrency: 2}},
		run:  []func(context.Context){a.Inbound.RunSMTP, a.Inbound.RunIMAP},
		api:  api.MailInRoutes(a.Inbound), pages: web.MailInPages(a.Inbound),
		nav: []web.NavEntry{
			{Menu: "Administration", Label: "Incoming mail", Href: "/admin/incoming-mail", Perm: mailin.PermRead, Lit: []string{"mailin-admin"}},
			{Menu: "Administration", Label: "Incoming mail log", Href: "/admin/incoming-mail/log", Perm: mailin.PermRead, Lit: []string{"mailin-log"}},
		}}
}
