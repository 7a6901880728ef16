package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	loadtest "steward/internal/bench"
)

func bench(ctx context.Context, env Env, args []string) error {
	var cfg loadtest.Config
	var scenario string
	var asJSON bool
	var rssPID int
	var probe time.Duration
	var probeDir string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the server to load; only localhost, 127.0.0.0/8 and ::1")
	fs.StringVar(&cfg.Token, "token", os.Getenv("STEWARD_BENCH_TOKEN"), "API token of a staff account, from steward token create (env STEWARD_BENCH_TOKEN)")
	fs.IntVar(&cfg.Clients, "clients", 16, fmt.Sprintf("concurrent clients, at most %d", loadtest.MaxClients))
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, fmt.Sprintf("stop after this long, at most %s", loadtest.MaxDuration))
	fs.IntVar(&cfg.Requests, "requests", 0, "stop after this many requests (0: only --duration limits the run)")
	fs.StringVar(&scenario, "scenario", "create", "create, create-sla (three SLA timers each), comment, patch, order (catalogue request), list, search or mixed (20% create, 20% search, 60% list)")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the request generator")
	fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
	fs.IntVar(&rssPID, "rss-pid", 0, "process id of the server, to report its memory (VmRSS, VmHWM) at the end")
	fs.DurationVar(&probe, "probe", 5*time.Second, "after the run, measure SQLite's own rate (an incident and an audit row per transaction) for this long and print it beside the figure; 0 skips it")
	fs.StringVar(&probeDir, "probe-dir", "", "folder for the probe's temporary database (default: the system's; put it on the server's disk)")
	if err := parse(fs, args, env); err != nil {
		return err
	}
	cfg.Scenario = loadtest.Scenario(scenario)
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if rssPID < 0 {
		return usagef("--rss-pid must be a process id")
	}
	if rssPID > 0 {
		// Fail before the run, not after it.
		if _, err := loadtest.ReadRSS(rssPID); err != nil {
			return err
		}
	}
	if !asJSON {
		limit := "no request limit"
		if cfg.Requests > 0 {
			limit = fmt.Sprintf("at most %d requests", cfg.Requests)
		}
		fmt.Fprintf(env.Stderr, "bench: %s against %s with %d clients for up to %s, %s\n", cfg.Scenario, cfg.URL, cfg.Clients, cfg.Duration, limit)
	}
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if probe > 0 {
		if res.Probe, err = loadtest.Probe(ctx, probeDir, probe, 1); err != nil {
			return fmt.Errorf("sqlite probe: %w", err)
		}
	}
	if rssPID > 0 {
		rss, err := loadtest.ReadRSS(rssPID)
		if err != nil {
			return err
		}
		res.RSS = &rss
	}
	if asJSON {
		return res.WriteJSON(env.Stdout)
	}
	res.WriteText(env.Stdout)
	return nil
}
