package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"steward/internal/bench"
)

// Integration is what CreateIntegration asks Steward for.
type Integration struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	URL      string   `json:"url,omitempty"`
	Topics   []string `json:"topics,omitempty"`
	Stream   string   `json:"stream,omitempty"`
	Subjects []string `json:"subjects,omitempty"`
}

// CreateIntegration creates an integration with an API token and returns
// its routing key.
func CreateIntegration(ctx context.Context, hc *http.Client, base, token string, in Integration) (string, error) {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/integrations", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot reach Steward at %s: %w", base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /api/v1/integrations answered %d: %s", resp.StatusCode, short(b))
	}
	var out struct {
		ID         int64  `json:"id"`
		RoutingKey string `json:"routing_key"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.RoutingKey == "" {
		return "", fmt.Errorf("POST /api/v1/integrations answered without a routing key: %s", short(b))
	}
	return out.RoutingKey, nil
}

// IncidentWait is how long Steward took to put the outage in an incident.
type IncidentWait struct {
	Found bool           `json:"found"`
	After bench.Duration `json:"after_ms"` // from the first outage event sent
	Polls int            `json:"polls"`
	Title string         `json:"title,omitempty"`
	Err   string         `json:"error,omitempty"`
}

func (i *IncidentWait) errSuffix() string {
	if i.Err == "" {
		return ""
	}
	return ": " + i.Err
}

// WaitIncident polls GET /api/v1/alerts for the open alert of the
// gateway's outage (its dedup key, GW-000001/reachability) until it
// belongs to an incident, or timeout. An incident the gateway's alert
// joins (one its sensors' faults opened earlier) counts as much as one it
// opens. It measures from since, the instant the first outage event was
// sent.
func WaitIncident(ctx context.Context, hc *http.Client, base, token string, since time.Time, gateway string,
	timeout time.Duration) *IncidentWait {
	w := &IncidentWait{}
	deadline := since.Add(timeout)
	key := gateway + "/reachability"
	u := strings.TrimRight(base, "/") + "/api/v1/alerts?state=open&limit=50&dedup_key=" + url.QueryEscape(key)
	for {
		w.Polls++
		title, err := findIncident(ctx, hc, u, token, key)
		now := time.Now()
		w.After = bench.Duration(now.Sub(since))
		if err != nil {
			w.Err = err.Error()
		} else if title != "" {
			w.Found, w.Title, w.Err = true, title, ""
			return w
		}
		if now.After(deadline) || ctx.Err() != nil {
			return w
		}
		select {
		case <-ctx.Done():
			return w
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func findIncident(ctx context.Context, hc *http.Client, u, token, key string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /api/v1/alerts answered %d: %s", resp.StatusCode, short(b))
	}
	var page struct {
		Items []struct {
			DedupKey   string `json:"dedup_key"`
			Summary    string `json:"summary"`
			IncidentID *int64 `json:"incident_id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return "", err
	}
	for _, a := range page.Items {
		if a.DedupKey == key && a.IncidentID != nil {
			return fmt.Sprintf("alert %q in incident %d", a.Summary, *a.IncidentID), nil
		}
	}
	return "", nil
}

// AwaitConsumer gives Steward time to start consuming a broker integration
// it was just given: for NATS until the stream exists (at most 20 s), for
// MQTT the settle time (a broker keeps nothing for a subscriber that has
// not subscribed yet).
func AwaitConsumer(ctx context.Context, cfg Config, stream string, settle time.Duration) error {
	switch cfg.Transport {
	case TransportMQTT:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settle):
		}
	case TransportNATS:
		nc, err := nats.Connect(cfg.NATSURL, nats.Timeout(10*time.Second))
		if err != nil {
			return fmt.Errorf("connect to NATS %s: %w", cfg.NATSURL, err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return err
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := js.Stream(ctx, stream); err == nil {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the JetStream stream %s was not created by Steward within 20 s", stream)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// DeleteStream removes a JetStream stream, so that a benchmark leaves
// nothing behind on a shared NATS server.
func DeleteStream(ctx context.Context, natsURL, stream string) error {
	nc, err := nats.Connect(natsURL, nats.Timeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("connect to NATS %s: %w", natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if err := js.DeleteStream(ctx, stream); err != nil {
		return fmt.Errorf("delete stream %s: %w", stream, err)
	}
	return nil
}
