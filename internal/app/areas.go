package app

import (
	"time"

	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/record"
	"steward/internal/request"
	"steward/internal/sla"
)

// area is what one area of the product adds to a node beside its routes
// and pages: the ticket-like kinds it declares to the record kernel and
// the background work it runs. New loops over the areas; adding an area
// adds one entry to the list in areas.
type area struct {
	name  string
	kinds []*record.Kind
	jobs  []job
}

// job is one kind of background work: its handler, how many may run at
// once on a node (1 when 0), and its schedule when it is periodic.
type job struct {
	kind        string
	run         jobs.Handler
	concurrency int
	every       time.Duration
}

// areas lists the areas of this node, its services built.
func (a *App) areas() []area {
	return []area{
		{name: "incidents", kinds: []*record.Kind{a.Incidents.Kind()},
			jobs: []job{{kind: incident.AutoCloseJob, run: a.Incidents.AutoClose, concurrency: 2}}},
		{name: "requests", kinds: []*record.Kind{a.Requests.Kind()},
			jobs: []job{{kind: request.AutoCloseJob, run: a.Requests.AutoClose, concurrency: 2}}},
		// Escalations come due in bursts at the top of the hour.
		{name: "service levels", jobs: []job{{kind: sla.EscalateJob, run: a.SLA.Escalate, concurrency: 4}}},
		// Imports run one at a time per node; each writes in short chunks.
		{name: "configuration", jobs: []job{{kind: cmdb.ImportJobKind, run: a.CMDB.RunImportJob}}},
		// Housekeeping runs once per interval across all nodes.
		{name: "maintenance", jobs: []job{{kind: MaintenanceJob, run: a.maintain, every: 10 * time.Minute}}},
	}
}

// wireAreas declares the areas' kinds and gathers their jobs for the worker.
func (a *App) wireAreas() (kinds []*record.Kind, w *jobs.Worker) {
	w = &jobs.Worker{DB: a.DB, Handlers: map[string]jobs.Handler{}, Concurrency: map[string]int{}, Log: a.Log}
	for _, ar := range a.areas() {
		kinds = append(kinds, ar.kinds...)
		for _, j := range ar.jobs {
			w.Handlers[j.kind] = j.run
			if j.concurrency > 1 {
				w.Concurrency[j.kind] = j.concurrency
			}
			if j.every > 0 {
				w.Periodic = append(w.Periodic, jobs.Periodic{Kind: j.kind, Every: j.every})
			}
		}
	}
	return kinds, w
}
