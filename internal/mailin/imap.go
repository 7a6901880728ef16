package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"
)

// maxPerPoll bounds the messages one poll takes; the rest wait for the
// next.
const maxPerPoll = 200

// imapTimeout bounds each IMAP command.
const imapTimeout = time.Minute

// RunIMAP polls --imap-url every --imap-interval until ctx ends; it does
// nothing when no mailbox is configured.
func (s *Service) RunIMAP(ctx context.Context) {
	if s.Cfg.IMAPURL == "" {
		return
	}
	every := s.Cfg.IMAPInterval
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.PollIMAP(ctx); err != nil {
			s.Log.Warn("incoming mail: reading the mailbox failed; trying again next time", "err", err)
		} else if n > 0 {
			s.Log.Info("incoming mail: mailbox read", "messages", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollIMAP reads the unseen messages of the mailbox once and returns how
// many it processed. Each message is processed (and recorded in the log,
// with its mailbox UIDVALIDITY and UID) first and marked \Seen on the
// server after: a message the log already has, because the node stopped
// between the two, is only marked, never processed again.
func (s *Service) PollIMAP(ctx context.Context) (int, error) {
	return s.pollIMAP(ctx, true)
}

// pollIMAP is PollIMAP; markSeen false leaves the server's flags alone,
// as a node that stopped right after processing would.
func (s *Service) pollIMAP(ctx context.Context, markSeen bool) (int, error) {
	u, err := url.Parse(s.Cfg.IMAPURL)
	if err != nil {
		return 0, errors.New("--imap-url cannot be read as a URL") // its text holds the password
	}
	c, err := s.dialIMAP(u)
	if err != nil {
		return 0, err
	}
	defer c.Logout()
	stop := context.AfterFunc(ctx, func() { c.Terminate() })
	defer stop()
	folder := strings.TrimPrefix(u.Path, "/")
	if folder == "" {
		folder = "INBOX"
	}
	mbox, err := c.Select(folder, false)
	if err != nil {
		return 0, fmt.Errorf("open the folder %q: %w", folder, err)
	}
	crit := imap.NewSearchCriteria()
	crit.WithoutFlags = []string{imap.SeenFlag}
	uids, err := c.UidSearch(crit)
	if err != nil {
		return 0, fmt.Errorf("search the folder: %w", err)
	}
	if len(uids) > maxPerPoll {
		uids = uids[:maxPerPoll]
	}
	n := 0
	for _, uid := range uids {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		done, err := s.takeIMAP(ctx, c, folder, mbox.UidValidity, uid)
		if err != nil {
			return n, err
		}
		if done && markSeen {
			seq := new(imap.SeqSet)
			seq.AddNum(uid)
			if err := c.UidStore(seq, imap.FormatFlagsOp(imap.AddFlags, true), []any{imap.SeenFlag}, nil); err != nil {
				return n, fmt.Errorf("mark message %d seen: %w", uid, err)
			}
		}
		n++
	}
	return n, nil
}

// takeIMAP processes one message unless the log has it already; done is
// true once it may be marked seen.
func (s *Service) takeIMAP(ctx context.Context, c *client.Client, folder string, validity, uid uint32) (bool, error) {
	var known int
	err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM mail_in_log WHERE mailbox = ? AND uid_validity = ? AND uid = ?",
		folder, int64(validity), int64(uid)).Scan(&known)
	if err != nil {
		return false, err
	}
	if known > 0 {
		return true, nil
	}
	raw, size, err := fetchIMAP(c, uid, s.maxMessage())
	if err != nil {
		return false, err
	}
	d := Delivery{Raw: raw, Via: "imap", Mailbox: folder, UIDValidity: validity, UID: uid}
	if raw == nil {
		// Too large: refused and logged, never fetched whole.
		e := Entry{ReceivedAt: time.Now().UTC(), Via: "imap", Size: size, Outcome: Refused, Reason: reasonTooLarge,
			Mailbox: folder, UIDValidity: validity, UID: uid,
			Detail: fmt.Sprintf("The limit is %d MB; the message stays in the mailbox, marked as read.", s.maxMessage()>>20)}
		s.Log.Warn("incoming mail refused: larger than the limit", "uid", uid, "size", size)
		_, err := s.settle(ctx, e, "", Result{})
		return err == nil, err
	}
	_, err = s.Take(ctx, d)
	if err != nil && ctx.Err() == nil {
		_, err = s.Take(ctx, d)
	}
	if err != nil && ctx.Err() == nil {
		return s.unstorable(ctx, d, err)
	}
	return err == nil, err
}

// unstorable logs as refused a message read from the mailbox that could
// not be taken twice in a row while the log itself can be written: the
// message is what fails, and the poll goes on to the next one rather
// than stop at it for ever. When the log cannot be written either, the
// database is what fails: the poll stops and tries again next time.
func (s *Service) unstorable(ctx context.Context, d Delivery, cause error) (bool, error) {
	e := Entry{ReceivedAt: time.Now().UTC(), Via: d.Via, Size: int64(len(d.Raw)), Outcome: Refused, Reason: reasonUnstorable,
		Mailbox: d.Mailbox, UIDValidity: d.UIDValidity, UID: d.UID, Detail: sentence(cause.Error())}
	if m, err := Parse(d.Raw); err == nil {
		e.MessageID, e.Sender, e.SenderName, e.Subject = clipBytes(m.MessageID, 500), clipBytes(m.From, 254), clip(m.FromName, 200), clip(m.Subject, 300)
	}
	if _, err := s.settle(ctx, e, "", Result{}); err != nil {
		return false, cause
	}
	s.Log.Error("incoming mail refused: the message could not be stored; the mailbox poll goes on", "uid", d.UID, "sender", e.Sender, "err", cause)
	return true, nil
}

// fetchIMAP reads one message whole without marking it seen; a message
// over max is not read (raw is nil) and its size returned.
func fetchIMAP(c *client.Client, uid uint32, max int64) ([]byte, int64, error) {
	seq := new(imap.SeqSet)
	seq.AddNum(uid)
	section := &imap.BodySectionName{Peek: true}
	ch := make(chan *imap.Message, 1)
	errc := make(chan error, 1)
	go func() { errc <- c.UidFetch(seq, []imap.FetchItem{imap.FetchRFC822Size, imap.FetchUid}, ch) }()
	var size int64
	for m := range ch {
		size = int64(m.Size)
	}
	if err := <-errc; err != nil {
		return nil, 0, fmt.Errorf("read the size of message %d: %w", uid, err)
	}
	if size > max {
		return nil, size, nil
	}
	ch = make(chan *imap.Message, 1)
	go func() { errc <- c.UidFetch(seq, []imap.FetchItem{section.FetchItem()}, ch) }()
	var raw []byte
	var readErr error
	for m := range ch {
		if lit := m.GetBody(section); lit != nil && raw == nil {
			raw, readErr = io.ReadAll(io.LimitReader(lit, max+1))
		}
	}
	if err := <-errc; err != nil {
		return nil, 0, fmt.Errorf("read message %d: %w", uid, err)
	}
	if readErr != nil {
		return nil, 0, readErr
	}
	if raw == nil {
		return nil, 0, fmt.Errorf("message %d came without a body", uid)
	}
	return raw, int64(len(raw)), nil
}

// dialIMAP connects and signs in: imaps:// over TLS, imap:// with
// STARTTLS (plain text only to a server on this machine that offers no
// STARTTLS).
func (s *Service) dialIMAP(u *url.URL) (*client.Client, error) {
	host := u.Hostname()
	port := u.Port()
	tlsConf := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.IMAPTLS != nil {
		tlsConf = s.IMAPTLS.Clone()
		if tlsConf.ServerName == "" {
			tlsConf.ServerName = host
		}
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second}
	var c *client.Client
	var err error
	if u.Scheme == "imaps" {
		if port == "" {
			port = "993"
		}
		c, err = client.DialWithDialerTLS(dialer, net.JoinHostPort(host, port), tlsConf)
	} else {
		if port == "" {
			port = "143"
		}
		c, err = client.DialWithDialer(dialer, net.JoinHostPort(host, port))
	}
	if err != nil {
		return nil, fmt.Errorf("connect to the mailbox: %w", err)
	}
	c.Timeout = imapTimeout
	c.ErrorLog = slog.NewLogLogger(s.Log.Handler(), slog.LevelDebug)
	if u.Scheme == "imap" {
		ok, err := c.SupportStartTLS()
		switch {
		case err != nil:
			c.Terminate()
			return nil, err
		case ok:
			if err := c.StartTLS(tlsConf); err != nil {
				c.Terminate()
				return nil, fmt.Errorf("STARTTLS: %w", err)
			}
		case !isLoopback(host):
			c.Terminate()
			return nil, errors.New("the mail server offers no STARTTLS; the password is not sent in plain text (use imaps://)")
		}
	}
	pass, _ := u.User.Password()
	if err := c.Login(u.User.Username(), pass); err != nil {
		c.Terminate()
		return nil, fmt.Errorf("sign in to the mailbox as %s: %w", u.User.Username(), err)
	}
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
