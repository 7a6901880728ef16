package capacity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"steward/internal/jobs"
	"steward/internal/store"
)

// PollJob reads the series that have a Prometheus source.
const PollJob = "capacity.poll"

// PollEvery is how often the sources are read.
const PollEvery = 5 * time.Minute

// Reading windows: a new source is read from a week back; one request
// asks for at most maxSteps points (Prometheus refuses more than 11,000).
const (
	firstRead = 7 * 24 * time.Hour
	maxSteps  = 10000
	maxReply  = 32 << 20
)

// Poll reads every series with a Prometheus source from where it was last
// read up to now. A source that fails keeps its error on the series and
// is tried again next time; the others go on.
func (s *Service) Poll(ctx context.Context, _ jobs.Job) error {
	rows, err := s.DB.Query(ctx, seriesCols+` WHERE s.source_url <> '' ORDER BY s.id LIMIT ?`, MaxLimit)
	if err != nil {
		return err
	}
	var todo []Series
	for rows.Next() {
		sr, err := scanSeries(rows)
		if err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, sr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, sr := range todo {
		n, err := s.PollSeries(ctx, sr)
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && s.Log != nil {
			s.Log.Warn("capacity source read failed", "series", sr.ID, "url", sr.SourceURL, "err", err)
		} else if s.Log != nil && n > 0 {
			s.Log.Debug("capacity source read", "series", sr.ID, "samples", n)
		}
	}
	return nil
}

// PollSeries reads one series' source and stores what it returns,
// returning how many samples were new.
func (s *Service) PollSeries(ctx context.Context, sr Series) (int, error) {
	step := time.Duration(sr.SourceStep) * time.Second
	end := s.now().Truncate(step)
	start := end.Add(-firstRead)
	if sr.PolledUntil != nil {
		start = sr.PolledUntil.Add(step)
	}
	total := 0
	for start.Before(end) || start.Equal(end) {
		to := start.Add(step * (maxSteps - 1))
		if to.After(end) {
			to = end
		}
		pts, err := s.queryRange(ctx, sr.SourceURL, sr.SourceQuery, start, to, step)
		if err != nil {
			_, _ = s.DB.Exec(ctx, `UPDATE capacity_series SET poll_error = ? WHERE id = ?`, truncate(err.Error(), 500), sr.ID)
			return total, err
		}
		err = s.DB.InTx(ctx, func(tx *store.Tx) error {
			batch := make([]sample, len(pts))
			for i, p := range pts {
				batch[i] = sample{series: sr.ID, at: p.At.Unix(), value: p.Value}
			}
			n, err := writeSamples(ctx, tx, batch)
			total += n
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE capacity_series SET polled_until = ?, poll_error = '' WHERE id = ?`, to.Unix(), sr.ID)
			return err
		})
		if err != nil {
			return total, err
		}
		start = to.Add(step)
	}
	return total, nil
}

// promReply is the query API's answer to query_range.
type promReply struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// queryRange asks a Prometheus server for one series over a range. The
// query must return one series (aggregate it with sum or max); points
// whose value is not a finite number are left out.
func (s *Service) queryRange(ctx context.Context, base, query string, start, end time.Time, step time.Duration) ([]Point, error) {
	form := url.Values{"query": {query}, "start": {strconv.FormatInt(start.Unix(), 10)},
		"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {strconv.Itoa(int(step / time.Second))}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query_range?"+form.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	client := s.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the Prometheus server did not answer: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxReply))
	if err != nil {
		return nil, err
	}
	var rep promReply
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, fmt.Errorf("the Prometheus server answered %s with something that is not its query API's JSON", res.Status)
	}
	if rep.Status != "success" {
		return nil, fmt.Errorf("the Prometheus server refused the query (%s): %s", rep.ErrorType, rep.Error)
	}
	if rep.Data.ResultType != "matrix" {
		return nil, fmt.Errorf("the query gave a %s, not a range of values", rep.Data.ResultType)
	}
	switch len(rep.Data.Result) {
	case 0:
		return []Point{}, nil
	case 1:
	default:
		return nil, fmt.Errorf("the query gives %d series; aggregate it to one, for example with sum(...) or max(...)", len(rep.Data.Result))
	}
	var out []Point
	for _, v := range rep.Data.Result[0].Values {
		ts, ok1 := v[0].(float64)
		txt, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("the Prometheus server answered a value in a form it does not use")
		}
		f, err := strconv.ParseFloat(txt, 64)
		if err != nil || !finite(f) {
			continue
		}
		sec := int64(ts)
		out = append(out, Point{At: time.Unix(sec, 0).UTC(), Value: f})
	}
	return out, nil
}
