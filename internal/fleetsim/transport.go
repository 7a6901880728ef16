package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// sendTimeout bounds one batch, so that a stuck receiver cannot hold a
// run past its duration by more than this.
const sendTimeout = 30 * time.Second

func newSender(ctx context.Context, cfg Config, i int) (sender, error) {
	source := cfg.Spec.Source
	if source == "" {
		source = "fleetsim"
	}
	switch cfg.Transport {
	case TransportHTTP, TransportAlertmanager:
		hc := cfg.Client
		if hc == nil {
			hc = NewHTTPClient(cfg.Clients)
		}
		s := &httpSender{hc: hc, source: source, key: cfg.Key}
		if cfg.Transport == TransportHTTP {
			s.url = strings.TrimRight(cfg.URL, "/") + "/api/v1/events"
		} else {
			s.url = strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts"
			s.alertmanager = true
		}
		return s, nil
	case TransportMQTT:
		opts := mqtt.NewClientOptions().AddBroker(cfg.MQTTURL).
			SetClientID(fmt.Sprintf("%s-%s-%d", source, cfg.Spec.RunID, i)).
			SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second).
			SetWriteTimeout(sendTimeout)
		c := mqtt.NewClient(opts)
		if t := c.Connect(); !t.WaitTimeout(15*time.Second) || t.Error() != nil {
			return nil, fmt.Errorf("connect to the MQTT broker %s: %v", cfg.MQTTURL, t.Error())
		}
		return &mqttSender{c: c, source: source, prefix: cfg.Prefix}, nil
	case TransportNATS:
		nc, err := nats.Connect(cfg.NATSURL, nats.Name(fmt.Sprintf("%s-%d", source, i)), nats.Timeout(10*time.Second))
		if err != nil {
			return nil, fmt.Errorf("connect to NATS %s: %w", cfg.NATSURL, err)
		}
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(2*MaxBatch))
		if err != nil {
			nc.Close()
			return nil, err
		}
		return &natsSender{nc: nc, js: js, source: source, prefix: cfg.Prefix}, nil
	}
	return nil, fmt.Errorf("unknown transport %q", cfg.Transport)
}

// NewHTTPClient is a client that keeps enough connections open for
// clients concurrent senders.
func NewHTTPClient(clients int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        clients * 2,
		MaxIdleConnsPerHost: clients * 2,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: sendTimeout}
}

type httpSender struct {
	hc           *http.Client
	url, key     string
	source       string
	alertmanager bool
	buf          []byte
}

func (s *httpSender) send(ctx context.Context, batch []Event) outcome {
	if s.alertmanager {
		s.buf = AppendAlerts(s.buf[:0], s.source, batch)
	} else {
		s.buf = AppendBatch(s.buf[:0], s.source, batch)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.buf))
	if err != nil {
		return outcome{errors: len(batch), detail: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if s.key != "" {
		req.Header.Set("X-Routing-Key", s.key)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return outcome{errors: len(batch), detail: trimErr(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return outcome{errors: len(batch), detail: trimErr(err)}
	}
	switch {
	case s.alertmanager && resp.StatusCode == http.StatusOK:
		return outcome{accepted: len(batch)}
	case !s.alertmanager && resp.StatusCode == http.StatusAccepted:
		var ans struct {
			Accepted   int `json:"accepted"`
			Duplicates int `json:"duplicates"`
		}
		if err := json.Unmarshal(body, &ans); err != nil {
			return outcome{errors: len(batch), detail: "202 with an unreadable answer: " + err.Error()}
		}
		o := outcome{accepted: ans.Accepted, duplicates: ans.Duplicates}
		if rest := len(batch) - ans.Accepted - ans.Duplicates; rest > 0 {
			o.refused, o.detail = rest, "202 with events neither accepted nor duplicates: "+short(body)
		}
		return o
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return outcome{refused: len(batch), detail: strconv.Itoa(resp.StatusCode) + ": " + short(body)}
	default:
		return outcome{errors: len(batch), detail: strconv.Itoa(resp.StatusCode) + ": " + short(body)}
	}
}

func (s *httpSender) close() {}

// short keeps the first line of a body, so that failures group by message.
func short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// trimErr drops the parts of a transport error that differ per request
// (local ports), so that failures group by cause.
func trimErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && strings.Contains(s, "dial tcp") {
		return "connect: " + s[i+2:]
	}
	return short([]byte(s))
}

// Topic and Subject are where a device's events go on the brokers.
func Topic(prefix string, e *Event) string   { return prefix + "/" + e.Site + "/" + e.Device }
func Subject(prefix string, e *Event) string { return prefix + "." + e.Site + "." + e.Device }

type mqttSender struct {
	c      mqtt.Client
	source string
	prefix string
	toks   []mqtt.Token
}

func (s *mqttSender) send(ctx context.Context, batch []Event) outcome {
	s.toks = s.toks[:0]
	for i := range batch {
		s.toks = append(s.toks, s.c.Publish(Topic(s.prefix, &batch[i]), 1, false, AppendEvent(nil, s.source, &batch[i])))
	}
	var o outcome
	deadline := time.Now().Add(sendTimeout)
	for _, t := range s.toks {
		if !t.WaitTimeout(time.Until(deadline)) {
			o.errors++
			o.detail = "no PUBACK within " + sendTimeout.String()
			continue
		}
		if err := t.Error(); err != nil {
			o.errors++
			o.detail = short([]byte(err.Error()))
			continue
		}
		o.accepted++ // acknowledged by the broker
	}
	return o
}

func (s *mqttSender) close() { s.c.Disconnect(250) }

type natsSender struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	source string
	prefix string
	futs   []jetstream.PubAckFuture
}

func (s *natsSender) send(ctx context.Context, batch []Event) outcome {
	var o outcome
	s.futs = s.futs[:0]
	for i := range batch {
		f, err := s.js.PublishAsync(Subject(s.prefix, &batch[i]), AppendEvent(nil, s.source, &batch[i]),
			jetstream.WithMsgID(batch[i].MessageID))
		if err != nil {
			o.errors++
			o.detail = short([]byte(err.Error()))
			continue
		}
		s.futs = append(s.futs, f)
	}
	timer := time.NewTimer(sendTimeout)
	defer timer.Stop()
	for _, f := range s.futs {
		select {
		case <-f.Ok():
			o.accepted++ // stored by the stream
		case err := <-f.Err():
			o.errors++
			o.detail = short([]byte(err.Error()))
		case <-timer.C:
			o.errors++
			o.detail = "no acknowledgement within " + sendTimeout.String()
		case <-ctx.Done():
			o.errors++
			o.detail = "interrupted"
		}
	}
	return o
}

func (s *natsSender) close() { s.nc.Close() }
