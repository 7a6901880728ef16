package app

import (
	"context"
	"steward/internal/demo"

	"steward/internal/api"
	"steward/internal/knowledge"
	"steward/internal/record"
	"steward/internal/web"
)

// knowledgeArea is the knowledge base: articles, suggestions while a
// ticket is written, and category and group suggestions for agents. The
// classifiers and the index are built at start and anew every hour.
func (a *App) knowledgeArea() area {
	a.Knowledge.Kernel = func() *record.Kernel { return a.Records }
	return area{name: "knowledge", demo: &demo.Knowledge, kinds: []*record.Kind{a.Knowledge.Kind()},
		jobs: []job{{kind: knowledge.RetrainJob, run: a.Knowledge.Retrain, every: knowledge.RetrainEvery}},
		run:  []func(context.Context){a.Knowledge.Warm},
		api:  api.KnowledgeRoutes(a.Knowledge), pages: web.KnowledgePages(a.Knowledge),
		nav: []web.NavEntry{
			{Label: "Knowledge", Href: "/articles", Perm: knowledge.PermReadAll, Lit: []string{"articles"}},
			{Label: "Help articles", Href: "/articles", Perm: knowledge.PermHelp, Lit: []string{"articles"}},
		}}
}
