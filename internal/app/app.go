// Package app wires Steward together: configuration -> store -> services ->
// HTTP server -> background workers, and takes them down in reverse order.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"steward/internal/activity"
	"steward/internal/availability"
	"steward/internal/complaint"
	"steward/internal/cost"
	"steward/internal/dashboard"
	"steward/internal/demo"
	"steward/internal/identity"
	"steward/internal/infosec"
	"steward/internal/knowledge"
	"steward/internal/mail"
	"steward/internal/mailin"
	"steward/internal/satisfaction"
	"steward/internal/servicereview"
	"steward/internal/ticket"
	"steward/internal/webhook"
	"sync"
	"time"

	"steward/internal/api"
	"steward/internal/auth"
	"steward/internal/change"
	"steward/internal/cmdb"
	"steward/internal/config"
	"steward/internal/document"
	"steward/internal/event"
	"steward/internal/httpx"
	"steward/internal/improvement"
	"steward/internal/incident"
	"steward/internal/internalaudit"
	"steward/internal/jobs"
	"steward/internal/nonconformity"
	"steward/internal/objective"
	"steward/internal/problem"
	"steward/internal/record"
	"steward/internal/release"
	"steward/internal/request"
	"steward/internal/review"
	"steward/internal/risk"
	"steward/internal/schedule"
	"steward/internal/servicereport"
	"steward/internal/sla"
	"steward/internal/sms"
	"steward/internal/store"
	"steward/internal/web"
)

// App is a running Steward node.
type App struct {
	Cfg       config.Config
	Log       *slog.Logger
	DB        *store.DB
	Incidents *incident.Service
	SLA       *sla.Service
	Requests  *request.Service
	CMDB      *cmdb.Service
	Changes   *change.Service
	Schedule  *schedule.Service
	Problems  *problem.Service
	Records   *record.Kernel
	Releases  *release.Service
	SMS       *sms.Service
	Documents *document.Service
	SignIn    *auth.SignIn // shared by the sign-in page; holds the bound on password checks
	Routes    []httpx.Route
	handler   http.Handler
	worker    *jobs.Worker

	// Planning and improvement: risks, objectives, improvements and
	// service reports.
	Risks          *risk.Service
	Objectives     *objective.Service
	Improvements   *improvement.Service
	ServiceReports *servicereport.Service

	// Checking and correcting the management system (9.2, 9.3, 10.1).
	Audits          *internalaudit.Service
	Nonconformities *nonconformity.Service
	Reviews         *review.Service

	// Event management: integrations, the inbox and its processor, the
	// broker consumers.
	Events *event.Service

	// Connections to the organisation's mail, automation and identity
	// systems: outgoing and incoming e-mail, outbound webhooks, single
	// sign-on.
	Mail     *mail.Service
	Inbound  *mailin.Service
	Webhooks *webhook.Service
	Identity *identity.Service

	// What customers feel and what they can read: satisfaction surveys,
	// complaints, service reviews with customers, the knowledge base.
	Satisfaction   *satisfaction.Service
	Complaints     *complaint.Service
	ServiceReviews *servicereview.Service
	Knowledge      *knowledge.Service
	// KPI snapshots, dashboards and scheduled service reports.
	Dashboards *dashboard.Service

	// Service assurance (8.4, 8.7): availability and outages, capacity and
	// demand, continuity, information security, and what services cost.
	// (Capacity and continuity are built by their areas, which nothing
	// else needs.)
	Availability *availability.Service
	Security     *infosec.Service
	Costs        *cost.Service

	runners []func(context.Context)
	demo    []demo.Step
}

// NewLogger builds the slog logger the configuration asks for.
func NewLogger(cfg config.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// OpenStore opens and migrates the database named by cfg.
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, ReadConns: cfg.ReadConns,
		Synchronous: cfg.SQLiteSynchronous, Writers: cfg.PGWriters})
	if err != nil {
		return nil, err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, m := range applied {
		log.Info("migration applied", "name", m)
	}
	if err := db.Optimize(ctx); err != nil {
		log.Warn("refreshing planner statistics", "err", err)
	}
	return db, nil
}

// New builds a node on an open database.
func New(cfg config.Config, db *store.DB, log *slog.Logger) *App {
	a := &App{Cfg: cfg, Log: log, DB: db}
	a.SLA = sla.NewService(db, log)
	a.Incidents = incident.NewService(db, cfg.AutoCloseAfter)
	// Every ticket write starts or moves its clocks, appears in the
	// activity feed (which webhooks deliver) and, once resolved, may ask
	// its requester how it went.
	a.Satisfaction = satisfaction.NewService(db, log)
	a.Incidents.Observer = ticket.Observers{a.SLA, activity.Observer{}, a.Satisfaction, mail.Receipts{}}
	a.Requests = request.NewService(db, cfg.AutoCloseAfter)
	a.Requests.Observer = ticket.Observers{a.SLA, activity.Observer{}, a.Satisfaction, mail.Receipts{}}
	a.CMDB = cmdb.NewService(db, log)
	a.Schedule = schedule.NewService(db, a.CMDB, a.SLA)
	a.Changes = &change.Service{DB: db, CMDB: a.CMDB, Conflicts: a.Schedule.Conflicts}
	a.Releases = release.NewService(db)
	a.SMS = sms.NewService(db)
	a.Problems = problem.NewService(db, a.Incidents)
	a.Documents = document.NewService(db)
	a.Risks, a.Objectives = risk.NewService(db), objective.NewService(db)
	a.Improvements, a.ServiceReports = improvement.NewService(db), servicereport.NewService(db)
	a.Nonconformities = nonconformity.NewService(db)
	a.Audits = internalaudit.NewService(db, a.Nonconformities)
	a.Reviews = review.NewService(db)
	a.Events = event.NewService(db, a.CMDB, a.Incidents, log)
	a.Mail = mail.NewService(db, cfg, log)
	a.Inbound = mailin.NewService(db, cfg, a.Incidents, a.Requests, log)
	a.Webhooks = webhook.NewService(db, log)
	a.Identity = identity.NewService(db, cfg, log)
	a.Complaints = complaint.NewService(db, log)
	a.Inbound.Complaints = a.Complaints
	a.ServiceReviews = servicereview.NewService(db, log)
	a.Knowledge = knowledge.NewService(db, log)
	a.Dashboards = dashboard.NewService(db, log)
	a.Dashboards.Loc = cfg.Location()
	a.Objectives.Loc = cfg.Location()
	a.Availability = availability.NewService(db, log)
	a.Security = infosec.NewService(db, log)
	a.Costs = cost.NewService(db, log)
	a.Costs.Loc = cfg.Location()
	wired := a.wireAreas()
	a.Records = record.NewKernel(db, cfg.MaxAttachmentMB<<20, wired.kinds...)
	a.Inbound.Records = a.Records
	wired.worker.Interval = cfg.JobInterval
	a.worker = wired.worker
	a.runners = wired.runners
	a.demo = wired.demo
	metrics := newMetrics(db)
	a.SignIn = auth.NewSignIn(db, auth.NewPasswordChecks(cfg.PasswordChecks, 0))
	a.SignIn.Policy = a.Identity // second factors by role; single sign-on users' passwords

	mux := http.NewServeMux()
	tokens := auth.NewTokenCache() // one per node, shared by authentication and revocation
	(&api.API{DB: db, Incidents: a.Incidents, SLA: a.SLA, Requests: a.Requests, CMDB: a.CMDB, Records: a.Records, Log: log, Tokens: tokens}).
		Register(mux, &a.Routes, wired.api...)
	(&web.Web{DB: db, Incidents: a.Incidents, SLA: a.SLA, Requests: a.Requests, CMDB: a.CMDB, Records: a.Records, Log: log,
		CookieSecure: cfg.CookieSecure, SignIn: a.SignIn, Nav: wired.nav, Loc: cfg.Location(), Tokens: tokens}).Register(mux, &a.Routes, wired.pages...)
	h := httpx.NewRouter(mux, (&api.API{DB: db, Log: log, Tokens: tokens}).Authenticator(), (&api.API{Log: log}).Denier(), &a.Routes)
	h.Handle("GET /healthz", "public", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	h.Handle("GET /readyz", "public", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := db.Ping(ctx); err != nil {
			log.Warn("readyz: database not answering", "err", err)
			http.Error(w, "database not answering", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	h.Handle("GET /metrics", "metrics:read", metrics.handler().ServeHTTP)
	httpx.SortRoutes(a.Routes)

	a.handler = httpx.Proxies(cfg.TrustedProxies).Edge(httpx.SecurityHeaders(metrics.middleware(mux)))
	return a
}

// LoadDemo loads the demo story into an empty database: each area's step,
// ordered so that every step follows those whose records it refers to,
// through this node's services and in its organisation's time zone.
func (a *App) LoadDemo(ctx context.Context) error {
	return demo.Run(ctx, demo.Env{DB: a.DB, Incidents: a.Incidents, SLA: a.SLA, Requests: a.Requests, Loc: a.Cfg.Location()}, a.demo)
}

// Handler is the whole HTTP surface, for tests.
func (a *App) Handler() http.Handler { return a.handler }

// Worker is the background job runner, for tests.
func (a *App) Worker() *jobs.Worker { return a.worker }

// Serve listens on cfg.Addr until ctx ends, then stops accepting, lets
// requests in flight finish, drains the worker and returns.
//
// With a certificate and key configured it serves HTTPS itself; otherwise
// plain HTTP, for a TLS-terminating proxy in front.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	var cert *certificate
	if a.Cfg.TLSCert != "" {
		var err error
		if cert, err = loadCertificate(a.Cfg.TLSCert, a.Cfg.TLSKey); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Cfg.Addr, err)
	}
	if cert != nil {
		ln = tls.NewListener(ln, cert.tlsConfig())
	}
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if err := a.worker.Validate(); err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		a.worker.Run(workCtx)
	}()
	runnersDone := a.startRunners(workCtx)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-serveErr:
		stopWork()
		<-workerDone
		runnersDone.Wait()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: no new connections, finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopWork()
	<-workerDone
	runnersDone.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// startRunners starts the areas' long-running work (the event
// processor, broker consumers) until ctx ends.
func (a *App) startRunners(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, run := range a.runners {
		wg.Go(func() { run(ctx) })
	}
	return &wg
}

// MaintenanceJob is the periodic job that purges what has outlived its use.
const MaintenanceJob = "maintenance.purge"

// maintain purges what has outlived its use: expired sessions, sign-in
// attempts after a day, lockouts a day after they ended (so the next one
// starts short again), idempotency keys past their day, finished jobs after a month;
// then it refreshes the planner's statistics.
func (a *App) maintain(ctx context.Context, _ jobs.Job) error {
	now := time.Now()
	for _, q := range []struct {
		sql    string
		before time.Time
	}{
		{"DELETE FROM sessions WHERE expires_at < ?", now},
		{"DELETE FROM login_attempts WHERE at < ?", now.Add(-24 * time.Hour)},
		{"DELETE FROM login_locks WHERE locked_until < ?", now.Add(-24 * time.Hour)},
		{"DELETE FROM idempotency_keys WHERE created_at < ?", now.Add(-api.IdempotencyTTL)},
		{"DELETE FROM jobs WHERE state = 'done' AND finished_at < ?", now.Add(-30 * 24 * time.Hour)},
	} {
		if _, err := a.DB.Exec(ctx, q.sql, store.TS(q.before)); err != nil {
			return err
		}
	}
	return a.DB.Optimize(ctx)
}
