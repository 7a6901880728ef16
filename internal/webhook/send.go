package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"steward/internal/audit"
	"steward/internal/notify"
	"steward/internal/store"
)

// Headers of every delivery.
const (
	HeaderEvent     = "X-Steward-Event"
	HeaderDelivery  = "X-Steward-Delivery"
	HeaderTimestamp = "X-Steward-Timestamp"
	HeaderSignature = "X-Steward-Signature"
)

// KindPaused is the notification an owner gets when their receiver is
// paused for failing.
const KindPaused = "webhook_paused"

// maxExcerpt is how much of a receiver's answer the log keeps.
const maxExcerpt = 1024

// Sign is the X-Steward-Signature of body sent at timestamp (Unix
// seconds, as in X-Steward-Timestamp): "sha256=" and the hex HMAC-SHA256
// of "timestamp.body" keyed with the secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// delivery is a claimed outbox row with what sending it needs.
type delivery struct {
	id, webhookID int64
	kind, payload string
	url, secret   string
	claim         string
}

// outcome is a receiver's answer to one attempt.
type outcome struct {
	status   int
	duration time.Duration
	response string
	err      string
}

func (o outcome) ok() bool { return o.err == "" && o.status >= 200 && o.status < 300 }

// claim leases up to limit due deliveries, fairly across receivers: each
// receiver has at most perReceiver() deliveries in flight (on every node
// together), and the slots go round the receivers one delivery at a
// time, so a receiver that hangs holds only its share while the others
// go on. A delivery is due when its time has come, its receiver is
// active and not paused, and no earlier delivery of the same record to
// the same receiver is pending: that one goes first, however long it
// takes.
func (s *Service) claim(ctx context.Context, limit int) ([]delivery, error) {
	now := s.now()
	token := s.node + "-" + newToken(4)
	lease := now.Add(2*s.Timeout + 30*time.Second)
	var out []delivery
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		room, err := s.room(ctx, tx, now)
		if err != nil || len(room) == 0 {
			return err
		}
		var queues [][]int64
		for _, r := range room {
			// The first pending delivery of its record, as a scalar
			// subquery: the planner cannot turn it into a join, so it is
			// always one index probe per candidate, whatever the
			// statistics say.
			q := `SELECT d.id FROM webhook_deliveries d
				WHERE d.webhook_id = ? AND d.state = 'pending' AND d.next_at <= ? AND (d.locked_until IS NULL OR d.locked_until < ?)
				AND d.id = (SELECT MIN(e.id) FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id
					AND e.entity = d.entity AND e.entity_id = d.entity_id AND e.state = 'pending')
				ORDER BY d.id LIMIT ?`
			if tx.Dialect() == store.Postgres {
				q += ` FOR UPDATE OF d SKIP LOCKED`
			}
			ids, err := store.IDs(ctx, tx, q, r.webhookID, store.TS(now), store.TS(now), min(r.free, limit))
			if err != nil {
				return err
			}
			if len(ids) > 0 {
				queues = append(queues, ids)
			}
		}
		ids := roundRobin(queues, limit, int(s.turn.Add(1)))
		if len(ids) == 0 {
			return nil
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		args := []any{token, store.TS(lease)}
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET locked_by = ?, locked_until = ? WHERE id IN (`+marks+`)`, args...); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT d.id, d.webhook_id, d.kind, d.payload, w.url, w.secret
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.locked_by = ? ORDER BY d.id`, token)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d := delivery{claim: token}
			if err := rows.Scan(&d.id, &d.webhookID, &d.kind, &d.payload, &d.url, &d.secret); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// perReceiver is how many deliveries one receiver may have in flight:
// PerReceiver, but never more than half of Parallel, so that one
// receiver that hangs leaves at least half the slots to the others.
func (s *Service) perReceiver() int {
	n := cmp.Or(s.PerReceiver, DefaultPerReceiver)
	return max(1, min(n, max(s.Parallel, 1)/2))
}

// receiverRoom is a receiver with due deliveries and how many more of
// them may be in flight.
type receiverRoom struct {
	webhookID int64
	free      int
}

// room lists the receivers with due deliveries that are below their
// limit of deliveries in flight (leased and not yet answered).
func (s *Service) room(ctx context.Context, tx *store.Tx, now time.Time) ([]receiverRoom, error) {
	rows, err := tx.Query(ctx, `SELECT w.id, (SELECT COUNT(*) FROM webhook_deliveries f WHERE f.webhook_id = w.id
			AND f.state = 'pending' AND f.locked_until >= ?)
		FROM webhooks w WHERE w.active AND w.paused_at IS NULL AND EXISTS (SELECT 1 FROM webhook_deliveries d
			WHERE d.webhook_id = w.id AND d.state = 'pending' AND d.next_at <= ? AND (d.locked_until IS NULL OR d.locked_until < ?))
		ORDER BY w.id`, store.TS(now), store.TS(now), store.TS(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	per := s.perReceiver()
	var out []receiverRoom
	for rows.Next() {
		var r receiverRoom
		var busy int
		if err := rows.Scan(&r.webhookID, &busy); err != nil {
			return nil, err
		}
		if r.free = per - busy; r.free > 0 {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

// roundRobin takes up to limit ids, one from each queue in turn, starting
// at the queue turn points to, so that when the slots run out no receiver
// is always first.
func roundRobin(queues [][]int64, limit, turn int) []int64 {
	var out []int64
	if len(queues) == 0 {
		return out
	}
	start := turn % len(queues)
	for depth := 0; len(out) < limit; depth++ {
		took := false
		for i := range queues {
			q := queues[(start+i)%len(queues)]
			if depth < len(q) && len(out) < limit {
				out, took = append(out, q[depth]), true
			}
		}
		if !took {
			break
		}
	}
	return out
}

// body is the JSON a receiver gets: the stored entry with the delivery's
// id added. The entry was encoded by encoding/json and ends with its
// closing brace.
func body(payload string, id int64) []byte {
	b := make([]byte, 0, len(payload)+32)
	b = append(b, payload[:len(payload)-1]...)
	b = append(b, `,"delivery_id":`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, '}')
}

// post sends one attempt and reads the answer.
func (s *Service) post(ctx context.Context, target, secret, kind string, id int64, payload []byte) outcome {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		s.Log.Info("webhook: receiver address not usable", "err", err)
		return outcome{err: "The receiver's address cannot be used"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Steward-Webhooks/1")
	req.Header.Set(HeaderEvent, kind)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(id, 10))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, payload))
	start := time.Now()
	res, err := s.httpClient().Do(req)
	if err != nil {
		return outcome{duration: time.Since(start), err: s.describe(target, err)}
	}
	defer res.Body.Close()
	buf, _ := io.ReadAll(io.LimitReader(res.Body, maxExcerpt))
	// Read a little more so the connection can serve the next delivery.
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	o := outcome{status: res.StatusCode, duration: time.Since(start), response: strings.TrimSpace(strings.ToValidUTF8(string(buf), "�"))}
	if !o.ok() {
		o.err = fmt.Sprintf("The receiver answered %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	}
	return o
}

// describe words a transport error for the people who read the delivery
// log: the receiver's host and port and what went wrong, never its path
// (which may carry a token). The raw error goes to the server log.
func (s *Service) describe(target string, err error) string {
	s.Log.Info("webhook: receiver not reached", "host", hostOf(target), "err", err)
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return fmt.Sprintf("The receiver did not answer within %s", seconds(s.Timeout))
	}
	host := hostOf(target)
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var tlsRecord tls.RecordHeaderError
	switch {
	case errors.As(err, &dns):
		return fmt.Sprintf("The receiver's name %s could not be found", dns.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Could not connect to %s: connection refused", host)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("Could not connect to %s: no route to the host", host)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("The connection to %s was closed before the receiver answered", host)
	case errors.As(err, &unknownCA):
		return "TLS certificate not trusted: it is signed by an authority this server does not know"
	case errors.As(err, &hostname):
		return fmt.Sprintf("TLS certificate not trusted: it is not valid for %s", hostname.Host)
	case errors.As(err, &invalid):
		return "TLS certificate not trusted: " + strings.TrimPrefix(invalid.Error(), "x509: ")
	case errors.As(err, &verify):
		return "TLS certificate not trusted"
	case errors.As(err, &tlsRecord):
		return fmt.Sprintf("%s does not speak HTTPS on this port", host)
	}
	return fmt.Sprintf("Could not reach %s", host)
}

// hostOf is the host and port of a receiver's address, the port filled
// in from the scheme.
func hostOf(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "the receiver"
	}
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "http" {
		return u.Host + ":80"
	}
	return u.Host + ":443"
}

// seconds is a timeout as people write it: "10 s", "1.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// send delivers one claimed row and records the answer. A send cut short
// because this node is stopping gives its claim back uncounted.
func (s *Service) send(ctx context.Context, d delivery) {
	o := s.post(ctx, d.url, d.secret, d.kind, d.id, body(d.payload, d.id))
	if ctx.Err() != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		s.DB.Exec(rctx, `UPDATE webhook_deliveries SET locked_by = NULL, locked_until = NULL WHERE id = ? AND locked_by = ?`, d.id, d.claim)
		return
	}
	if !o.ok() {
		s.Log.Info("webhook delivery failed", "webhook", d.webhookID, "delivery", d.id, "status", o.status, "err", o.err)
	}
	if err := s.record(ctx, d, o); err != nil {
		s.Log.Warn("webhook: recording a delivery", "webhook", d.webhookID, "delivery", d.id, "err", err)
	}
}

// backoff is the wait after a delivery's n-th failed attempt.
func backoff(n int) time.Duration {
	if n > 20 {
		return maxBackoff
	}
	return min(firstBackoff<<(n-1), maxBackoff)
}

// record writes an attempt's outcome, and the receiver's run of failures:
// a success ends it; a long enough run pauses the receiver and tells its
// owner.
func (s *Service) record(ctx context.Context, d delivery, o outcome) error {
	now := s.now()
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var attempts int
		err := tx.QueryRow(ctx, `SELECT attempts FROM webhook_deliveries WHERE id = ? AND locked_by = ?`, d.id, d.claim).Scan(&attempts)
		if errors.Is(store.Translate(err), store.ErrNotFound) {
			return nil // the lease ran out and another sender has it
		} else if err != nil {
			return err
		}
		attempts++
		state, next, delivered := "pending", now.Add(backoff(attempts)), any(nil)
		if o.ok() {
			state, next, delivered = "delivered", now, store.TS(now)
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?, last_attempt_at = ?,
			status = ?, duration_ms = ?, response = ?, error = ?, delivered_at = ?, locked_by = NULL, locked_until = NULL
			WHERE id = ?`, state, attempts, store.TS(next), store.TS(now), o.status, o.duration.Milliseconds(),
			o.response, o.err, delivered, d.id); err != nil {
			return err
		}
		if o.ok() {
			_, err := tx.Exec(ctx, `UPDATE webhooks SET failures = 0, failing_since = NULL, last_attempt_at = ?, last_status = ?,
				last_error = '' WHERE id = ?`, store.TS(now), o.status, d.webhookID)
			return err
		}
		return s.failed(ctx, tx, d.webhookID, now, o)
	})
}

// failed counts a failed attempt against its receiver and pauses it when
// the run is long enough in number and in time.
func (s *Service) failed(ctx context.Context, tx *store.Tx, webhookID int64, now time.Time, o outcome) error {
	var failures int
	var since, paused store.Time
	var owner int64
	var target string
	err := tx.QueryRow(ctx, `UPDATE webhooks SET failures = failures + 1, failing_since = COALESCE(failing_since, ?),
		last_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?
		RETURNING failures, failing_since, paused_at, COALESCE(created_by, 0), url`,
		store.TS(now), store.TS(now), o.status, o.err, webhookID).Scan(&failures, &since, &paused, &owner, &target)
	if err != nil {
		return store.Translate(err)
	}
	if !paused.IsZero() || failures < s.PauseAfter || now.Sub(since.Time) < s.PauseMinAge {
		return nil
	}
	reason := fmt.Sprintf("Paused after %d failed attempts in a row; the last: %s", failures, o.err)
	if _, err := tx.Exec(ctx, `UPDATE webhooks SET paused_at = ?, pause_reason = ? WHERE id = ?`, store.TS(now), reason, webhookID); err != nil {
		return err
	}
	s.Log.Warn("webhook paused", "webhook", webhookID, "failures", failures, "err", o.err)
	if err := audit.Record(ctx, tx, audit.System, "pause", "webhook", webhookID, map[string]any{"failures": failures, "last_error": o.err}); err != nil {
		return err
	}
	n := strconv.Itoa(failures)
	target = MaskURL(target) // notifications are kept; the address's path may be a token
	return notify.AddWith(ctx, tx, []int64{owner}, KindPaused, "Webhook paused: "+target,
		n+" attempts in a row failed, the last with: "+o.err+". Its deliveries wait until you resume it.",
		"/webhooks/"+strconv.FormatInt(webhookID, 10), map[string]string{"url": target, "failures": n, "error": o.err})
}
