package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	loadtest "steward/internal/bench"
	"steward/internal/fleetsim"
)

// eventsCmd groups the event management commands.
func eventsCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stdout, "Usage: steward events loadgen [flags]\n\n  loadgen  simulate a fleet of devices sending events (or, with --target alertmanager,\n           the same alerts to Prometheus Alertmanager) and measure what was accepted\n\nRun 'steward events loadgen -h' for its flags.")
		return nil
	}
	switch args[0] {
	case "loadgen":
		return loadgen(ctx, env, args[1:])
	}
	return usagef("unknown events command %q: use loadgen", args[0])
}

// loadgenOpts are the command line of steward events loadgen.
type loadgenOpts struct {
	cfg           fleetsim.Config
	target        string
	amURL         string
	token         string
	allowRemote   bool
	outageSec     int
	stream        string
	waitIncidents bool
	waitTimeout   time.Duration
	settle        time.Duration
	asJSON        bool
	deleteStream  bool
	rssPID        int
}

func parseLoadgen(args []string, env Env) (*loadgenOpts, error) {
	o := &loadgenOpts{}
	c := &o.cfg
	fs := flag.NewFlagSet("events loadgen", flag.ContinueOnError)
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "Steward's base URL; only localhost, 127.0.0.0/8 and ::1 unless --allow-remote")
	fs.StringVar(&o.token, "token", os.Getenv("STEWARD_LOADGEN_TOKEN"), "API token of an account with event:admin, to create the integration and to watch incidents (env STEWARD_LOADGEN_TOKEN)")
	fs.StringVar(&c.Key, "key", os.Getenv("STEWARD_LOADGEN_KEY"), "routing key of an existing integration, instead of creating one (env STEWARD_LOADGEN_KEY)")
	fs.StringVar(&c.Transport, "transport", "http", "http (batches to POST /api/v1/events), mqtt or nats")
	fs.StringVar(&o.target, "target", "steward", "steward, or alertmanager: the same alerts to Alertmanager's POST /api/v2/alerts")
	fs.StringVar(&o.amURL, "am-url", "http://127.0.0.1:9093", "Alertmanager's base URL, with --target alertmanager")
	fs.StringVar(&c.MQTTURL, "mqtt-url", "tcp://127.0.0.1:1883", "MQTT broker, with --transport mqtt")
	fs.StringVar(&c.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server, with --transport nats")
	fs.StringVar(&c.Prefix, "prefix", "fleet", "MQTT topics PREFIX/<site>/<device>, NATS subjects PREFIX.<site>.<device>")
	fs.StringVar(&o.stream, "stream", "FLEETSIM", "JetStream stream of the NATS integration --token creates")
	fs.IntVar(&c.Spec.Devices, "devices", 100_000, "sensors in the fleet, named SN-0000001... as the CMDB's fleet generator names them")
	fs.IntVar(&c.Spec.PerGateway, "per-gateway", fleetsim.DefaultPerGateway, "sensors behind each gateway GW-000001...")
	fs.IntVar(&c.Spec.Gateways, "gateways", 0, "gateways, instead of --per-gateway (to match a CMDB fleet's)")
	fs.Float64Var(&c.Spec.Faults, "faults", 0.05, "fraction of sensors that fault now and then (critical or major, resolved later)")
	fs.StringVar(&c.Spec.HeartbeatSeverity, "heartbeat-severity", "ok", "severity of heartbeats; warning makes every device hold an open alert (memory measurements)")
	fs.IntVar(&o.outageSec, "gateway-outage", -1, "second of the run at which one gateway goes down and all its sensors miss their heartbeat (-1: none)")
	fs.Uint64Var(&c.Spec.Seed, "seed", 1, "seed: the same seed sends the same events")
	fs.Float64Var(&c.Rate, "rate", 0, "target events per second (0: as fast as possible)")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, fmt.Sprintf("stop after this long, at most %s", fleetsim.MaxDuration))
	fs.IntVar(&c.Events, "events", 0, "stop after this many events (0: only --duration limits the run)")
	fs.IntVar(&c.Batch, "batch", 1000, "events per HTTP request or per wait for broker acknowledgements (100 by default with --target alertmanager)")
	fs.IntVar(&c.Clients, "clients", 8, fmt.Sprintf("concurrent senders, at most %d", fleetsim.MaxClients))
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "allow hosts other than this machine")
	fs.BoolVar(&o.waitIncidents, "wait-incidents", false, "with --gateway-outage and --token: measure how long until the outage's incident is listed")
	fs.DurationVar(&o.waitTimeout, "wait-timeout", 30*time.Second, "how long --wait-incidents waits after the first outage event")
	fs.DurationVar(&o.settle, "settle", 2*time.Second, "with mqtt and a new integration: time Steward gets to subscribe before the first message")
	fs.BoolVar(&o.deleteStream, "delete-stream", false, "send nothing: delete the JetStream --stream from --nats-url and exit (cleanup after a benchmark, once Steward is stopped)")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	fs.IntVar(&o.rssPID, "rss-pid", 0, "process id of the receiver, to report its memory (VmRSS, VmHWM) at the end")
	if err := parse(fs, args, env); err != nil {
		return nil, err
	}
	batchSet := false
	fs.Visit(func(f *flag.Flag) { batchSet = batchSet || f.Name == "batch" })

	switch o.target {
	case "steward":
	case "alertmanager":
		c.Transport = fleetsim.TransportAlertmanager
		c.URL = o.amURL
		c.Key = ""
		if !batchSet {
			c.Batch = 100
		}
	default:
		return nil, usagef("unknown --target %q: use steward or alertmanager", o.target)
	}
	if c.Transport == fleetsim.TransportAlertmanager && o.target != "alertmanager" {
		return nil, usagef("use --target alertmanager to send to Alertmanager")
	}
	c.OutageAt = time.Duration(o.outageSec) * time.Second
	if o.outageSec < 0 {
		c.OutageAt = -1
	}
	// Every address the generator contacts must be this machine's.
	addrs := []string{c.URL}
	switch c.Transport {
	case fleetsim.TransportMQTT:
		addrs = append(addrs, c.MQTTURL)
	case fleetsim.TransportNATS:
		addrs = append(addrs, c.NATSURL)
	}
	if !o.allowRemote {
		for _, a := range addrs {
			if err := checkLoopbackURL(a); err != nil {
				return nil, usagef("%v (use --allow-remote to load another machine)", err)
			}
		}
	}
	if o.deleteStream {
		if err := checkLoopbackURL(c.NATSURL); err != nil && !o.allowRemote {
			return nil, usagef("%v (use --allow-remote to load another machine)", err)
		}
		return o, nil
	}
	if o.target == "steward" && c.Key == "" && o.token == "" {
		return nil, usagef("give --key (a routing key) or --token (to create an integration)")
	}
	if o.waitIncidents && (o.token == "" || o.outageSec < 0 || o.target != "steward") {
		return nil, usagef("--wait-incidents needs --token, --gateway-outage and Steward as the target")
	}
	if o.rssPID < 0 {
		return nil, usagef("--rss-pid must be a process id")
	}
	check := *c
	if check.Transport == fleetsim.TransportHTTP && check.Key == "" {
		check.Key = "created-by-token"
	}
	if err := check.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	return o, nil
}

// checkLoopbackURL refuses any URL (http, tcp, nats, ...) whose host is
// not this machine.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("url %q has no host", raw)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("url %q: refusing to send load to %s; only localhost, 127.0.0.0/8 and ::1 are allowed", raw, host)
}

func loadgen(ctx context.Context, env Env, args []string) error {
	o, err := parseLoadgen(args, env)
	if err != nil {
		return err
	}
	c := &o.cfg
	if o.deleteStream {
		if err := fleetsim.DeleteStream(ctx, c.NATSURL, o.stream); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "deleted stream %s\n", o.stream)
		return nil
	}
	c.Spec.RunID = fmt.Sprintf("fs%x", time.Now().UnixNano())
	if o.rssPID > 0 {
		if _, err := loadtest.ReadRSS(o.rssPID); err != nil {
			return err
		}
	}
	hc := fleetsim.NewHTTPClient(c.Clients)
	c.Client = hc
	if o.target == "steward" && c.Key == "" {
		in := fleetsim.Integration{Name: "Fleet simulation " + c.Spec.RunID, Kind: c.Transport}
		switch c.Transport {
		case fleetsim.TransportMQTT:
			in.URL, in.Topics = c.MQTTURL, []string{c.Prefix + "/#"}
		case fleetsim.TransportNATS:
			in.URL, in.Stream, in.Subjects = c.NATSURL, o.stream, []string{c.Prefix + ".>"}
		}
		key, err := fleetsim.CreateIntegration(ctx, hc, c.URL, o.token, in)
		if err != nil {
			return err
		}
		c.Key = key
		if err := fleetsim.AwaitConsumer(ctx, *c, o.stream, o.settle); err != nil {
			return err
		}
	}

	var m *fleetsim.Model
	if o.waitIncidents {
		if m, err = fleetsim.NewModel(c.Spec); err != nil {
			return usagef("%v", err)
		}
	}
	waited := make(chan *fleetsim.IncidentWait, 1)
	if o.waitIncidents {
		g := m.OutageGateway()
		c.OnOutage = func(at time.Time) {
			go func() {
				waited <- fleetsim.WaitIncident(ctx, hc, c.URL, o.token, at, fleetsim.GatewayID(g), o.waitTimeout)
			}()
		}
	}
	if !o.asJSON {
		limit := "no event limit"
		if c.Events > 0 {
			limit = fmt.Sprintf("at most %d events", c.Events)
		}
		dest := c.URL
		switch c.Transport {
		case fleetsim.TransportMQTT:
			dest = c.MQTTURL
		case fleetsim.TransportNATS:
			dest = c.NATSURL
		}
		fmt.Fprintf(env.Stderr, "loadgen: %d devices over %s to %s with %d clients for up to %s, %s\n",
			c.Spec.Devices, c.Transport, dest, c.Clients, c.Duration, limit)
	}
	res, err := fleetsim.Run(ctx, *c)
	if err != nil {
		return err
	}
	if o.waitIncidents && res.Outage != nil {
		select {
		case w := <-waited:
			res.Incident = w
		case <-ctx.Done():
		}
	}
	if o.rssPID > 0 {
		rss, err := loadtest.ReadRSS(o.rssPID)
		if err != nil {
			return err
		}
		res.RSS = &rss
	}
	if o.asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	res.WriteText(env.Stdout)
	return nil
}
