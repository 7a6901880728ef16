package mailin

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"
)

// Limits of the SMTP listener.
const (
	// MaxSMTPRecipients bounds RCPT TO per message; more get 452 (RFC 5321
	// says a client then sends the rest in another transaction).
	MaxSMTPRecipients = 50
	// maxSMTPConns bounds the connections open at once.
	maxSMTPConns = 100
	smtpTimeout  = time.Minute
	// DefaultReceiving bounds the messages being received at once, each
	// held in memory whole (up to the size limit): 8 × 25 MB at most,
	// whatever the number of connections.
	DefaultReceiving = 8
	// DefaultReceivingWait is how long a message waits for its turn to be
	// received before the sender's server is told to try again later.
	DefaultReceivingWait = 30 * time.Second
)

// RunSMTP takes mail on --inbound-smtp-addr until ctx ends; it does
// nothing when no address is configured.
func (s *Service) RunSMTP(ctx context.Context) {
	if s.Cfg.InboundSMTPAddr == "" {
		return
	}
	ln, err := net.Listen("tcp", s.Cfg.InboundSMTPAddr)
	if err != nil {
		s.Log.Error("incoming mail: cannot listen for SMTP", "addr", s.Cfg.InboundSMTPAddr, "err", err)
		return
	}
	s.Log.Info("incoming mail: SMTP listener ready", "addr", ln.Addr().String())
	if err := s.ServeSMTP(ctx, ln); err != nil {
		s.Log.Error("incoming mail: SMTP listener stopped", "err", err)
	}
}

// ServeSMTP takes mail on ln until ctx ends, then stops taking new
// connections and lets messages in flight finish (for up to 20 seconds).
func (s *Service) ServeSMTP(ctx context.Context, ln net.Listener) error {
	receiving := s.receivingSlots()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, remote: c.Conn().RemoteAddr().String(), ctx: ctx, receiving: receiving}, nil
	}))
	srv.Domain = smtpDomain(s.Cfg.PublicURL())
	srv.MaxMessageBytes = s.maxMessage()
	srv.MaxRecipients = MaxSMTPRecipients
	srv.MaxLineLength = 4000
	srv.ReadTimeout, srv.WriteTimeout = smtpTimeout, smtpTimeout
	srv.ErrorLog = slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(netutil.LimitListener(ln, maxSMTPConns)) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		srv.Close()
	}
	<-done
	return nil
}

// receivingSlots holds a token per message being received.
func (s *Service) receivingSlots() chan struct{} {
	s.receivingOnce.Do(func() { s.receiving = make(chan struct{}, cmp.Or(s.MaxReceiving, DefaultReceiving)) })
	return s.receiving
}

// smtpDomain is the host of the public URL, for the greeting.
func smtpDomain(publicURL string) string {
	h := strings.TrimPrefix(strings.TrimPrefix(publicURL, "https://"), "http://")
	h, _, _ = strings.Cut(h, "/")
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	if h == "" {
		return "localhost"
	}
	return h
}

// smtpSession is one SMTP conversation.
type smtpSession struct {
	s         *Service
	ctx       context.Context
	remote    string
	from      string
	rcpts     []string
	receiving chan struct{} // a slot per message being received
}

func (ss *smtpSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *smtpSession) Logout() error { return nil }

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = strings.ToLower(strings.TrimSpace(from))
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.rcpts = append(ss.rcpts, strings.ToLower(strings.TrimSpace(to)))
	return nil
}

// Data reads the message and processes it before answering: 250 only
// once what became of it is committed.
func (ss *smtpSession) Data(r io.Reader) error {
	wait := time.NewTimer(cmp.Or(ss.s.ReceivingWait, DefaultReceivingWait))
	defer wait.Stop()
	select {
	case ss.receiving <- struct{}{}:
		defer func() { <-ss.receiving }()
	case <-wait.C:
		ss.s.Log.Warn("incoming mail: too many messages arriving at once; the sender's server will retry", "remote", ss.remote)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Too many messages arriving at once, please try again later"}
	case <-ss.ctx.Done():
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down, please try again later"}
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			ss.tooLarge(buf.Len())
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ss.ctx), smtpTimeout)
	defer cancel()
	res, err := ss.s.Take(ctx, Delivery{Raw: buf.Bytes(), Via: "smtp", EnvelopeFrom: ss.from, Recipients: ss.rcpts})
	if err != nil {
		ss.s.Log.Error("incoming mail: message not processed; the sender's server will retry", "remote", ss.remote, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Not taken now, please try again later"}
	}
	switch {
	case res.Temporary:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: oneLine(res.Entry.Words())}
	case res.Reject && res.Entry.Reason == reasonRecipients:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 5, 3}, Message: oneLine(res.Entry.Words())}
	case res.Reject:
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "The message cannot be read as MIME"}
	}
	return nil
}

// tooLarge logs a message refused for its size: the sender's server was
// told 552 and nothing of it was kept.
func (ss *smtpSession) tooLarge(read int) {
	limit := ss.s.maxMessage()
	ss.s.Log.Warn("incoming mail refused: larger than the limit", "remote", ss.remote, "sender", ss.from, "limit_bytes", limit, "read_bytes", read)
	e := Entry{ReceivedAt: time.Now().UTC(), Via: "smtp", Sender: clipBytes(ss.from, 254), Size: int64(read),
		Recipients: clipBytes(strings.Join(ss.rcpts, ", "), 1000), Outcome: Refused, Reason: reasonTooLarge,
		Detail: fmt.Sprintf("The limit is %d MB; the sender's server was told so (552).", limit>>20)}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ss.ctx), 10*time.Second)
	defer cancel()
	if _, err := ss.s.settle(ctx, e, "", Result{}); err != nil {
		ss.s.Log.Error("incoming mail: logging a refusal", "err", err)
	}
}
