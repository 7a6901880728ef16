package fleetsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
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

// IncidentWait is how long Steward took to show the outage's incident.
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

var sensorRE = regexp.MustCompile(`SN-\d{7}`)

// WaitIncident polls GET /api/v1/incidents for an incident created since
// the outage that names the gateway, or one of its sensors together with
// its missed heartbeat, until found or timeout. It measures from since,
// the instant the first outage event was sent.
func WaitIncident(ctx context.Context, hc *http.Client, base, token string, since time.Time, gateway string,
	sensors map[string]bool, timeout time.Duration) *IncidentWait {
	w := &IncidentWait{}
	deadline := since.Add(timeout)
	after := since.Add(-2 * time.Second).UTC().Truncate(time.Second).Format(time.RFC3339)
	u := strings.TrimRight(base, "/") + "/api/v1/incidents?limit=100&sort=-created_at&created_after=" + url.QueryEscape(after)
	for {
		w.Polls++
		title, err := findIncident(ctx, hc, u, token, gateway, sensors)
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
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func findIncident(ctx context.Context, hc *http.Client, u, token, gateway string, sensors map[string]bool) (string, error) {
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
		return "", fmt.Errorf("GET /api/v1/incidents answered %d: %s", resp.StatusCode, short(b))
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return "", err
	}
	for _, it := range page.Items {
		text := string(it)
		hit := strings.Contains(text, gateway)
		if !hit && strings.Contains(strings.ToLower(text), "heartbeat") {
			for _, id := range sensorRE.FindAllString(text, 8) {
				if sensors[id] {
					hit = true
					break
				}
			}
		}
		if hit {
			var inc struct {
				Number any    `json:"number"`
				Title  string `json:"title"`
			}
			_ = json.Unmarshal(it, &inc)
			return fmt.Sprintf("%v %s", inc.Number, inc.Title), nil
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
				return fmt.Errorf("Steward did not create the JetStream stream %s within 20 s", stream)
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
