package mailin

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"steward/internal/store/storetest"
)

// dovecot is a real IMAP server for one test: its own configuration,
// password file and Maildir in a temporary folder, on a free loopback
// port, TLS by STARTTLS with a certificate made here.
type dovecot struct {
	addr  string
	roots *x509.CertPool
}

const (
	imapUser = "desk@steward.test"
	imapPass = "mailbox-secret"
)

func startDovecot(t *testing.T) dovecot {
	t.Helper()
	bin := os.Getenv("STEWARD_TEST_DOVECOT")
	if bin == "" {
		t.Skip("IMAP not tested: STEWARD_TEST_DOVECOT (the dovecot binary) is unset")
	}
	owner, err := user.Lookup("dovecot")
	if err != nil {
		owner, err = user.Lookup("nobody")
	}
	if err != nil {
		t.Fatalf("no unprivileged user for the mail files: %v", err)
	}
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	dir := t.TempDir()
	// The mail processes run as that user: they must reach the folder.
	for p := dir; p != filepath.Dir(p) && p != os.TempDir(); p = filepath.Dir(p) {
		os.Chmod(p, 0o755)
	}
	for _, sub := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range []string{"mail", "home"} {
		if err := os.Chown(filepath.Join(dir, sub), uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	roots := writeCert(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(imapUser+":{PLAIN}"+imapPass+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[2]d gid=%[3]d home=%[1]s/home/%%u
}
mail_location = maildir:%[1]s/mail/%%u
default_internal_user = %[4]s
default_login_user = %[4]s
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`, dir, uid, gid, owner.Username, port)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not start: %v\n%s\n%s", err, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return dovecot{addr: addr, roots: roots}
}

// writeCert makes a self-signed certificate for 127.0.0.1.
func writeCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// mailbox is a client of the test server, for putting mail in and
// reading flags back.
func (dv dovecot) mailbox(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.Dial(dv.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartTLS(&tls.Config{RootCAs: dv.roots, ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Login(imapUser, imapPass); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Logout() })
	return c
}

// appendMail puts raw in the folder as the mail server delivers it.
func appendMail(t *testing.T, c *client.Client, folder, raw string) {
	t.Helper()
	if err := c.Append(folder, nil, time.Now(), bytes.NewBufferString(crlf(delivered(raw)))); err != nil {
		t.Fatal(err)
	}
}

// seen counts the messages of folder with and without \Seen.
func seen(t *testing.T, c *client.Client, folder string) (yes, no int) {
	t.Helper()
	if _, err := c.Select(folder, true); err != nil {
		t.Fatal(err)
	}
	seq, _ := imap.ParseSeqSet("1:*")
	ch := make(chan *imap.Message, 20)
	done := make(chan error, 1)
	go func() { done <- c.Fetch(seq, []imap.FetchItem{imap.FetchFlags}, ch) }()
	for m := range ch {
		flagged := false
		for _, f := range m.Flags {
			flagged = flagged || f == imap.SeenFlag
		}
		if flagged {
			yes++
		} else {
			no++
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return yes, no
}

// TestIMAPPolling reads a real mailbox: each message is processed once
// and marked \Seen; a node stopping between processing and marking
// leaves nothing processed twice.
func TestIMAPPolling(t *testing.T) {
	dv := startDovecot(t)
	d := newDesk(t, storetest.SQLite(t))
	ctx := context.Background()
	c := dv.mailbox(t)
	const folder = "Support"
	if err := c.Create(folder); err != nil {
		t.Fatal(err)
	}
	first := plainMail("alice@example.com", "Keyboard missing keys", "The E key fell off.")
	appendMail(t, c, folder, first)
	appendMail(t, c, folder, first) // the same message twice in the folder
	appendMail(t, c, folder, plainMail("amir@example.com", "Out of office", "away", "Auto-Submitted: auto-replied"))
	appendMail(t, c, folder, plainMail("amir@example.com", "Mouse", "It squeaks."))
	appendMail(t, c, "INBOX", plainMail("bob@example.com", "Elsewhere", "not in the polled folder"))

	d.s.Cfg.IMAPURL = "imap://" + imapUser + ":" + imapPass + "@" + dv.addr + "/" + folder
	d.s.IMAPTLS = &tls.Config{RootCAs: dv.roots}
	n, err := d.s.PollIMAP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || d.count("SELECT COUNT(*) FROM incidents") != 2 {
		t.Fatalf("first poll: %d messages, %d incidents; want 4 and 2", n, d.count("SELECT COUNT(*) FROM incidents"))
	}
	if y, no := seen(t, c, folder); y != 4 || no != 0 {
		t.Errorf("after the poll %d seen, %d unseen; want all 4 seen", y, no)
	}
	if n, err := d.s.PollIMAP(ctx); err != nil || n != 0 {
		t.Errorf("second poll: %d messages (%v), want none", n, err)
	}

	// The node stops after processing, before marking.
	appendMail(t, c, folder, plainMail("alice@example.com", "Screen", "cracked"))
	if n, err := d.s.pollIMAP(ctx, false); err != nil || n != 1 {
		t.Fatalf("poll without marking: %d (%v)", n, err)
	}
	if _, no := seen(t, c, folder); no != 1 {
		t.Fatalf("%d unseen, want the one not marked", no)
	}
	if _, err := d.s.PollIMAP(ctx); err != nil {
		t.Fatal(err)
	}
	if n := d.count("SELECT COUNT(*) FROM incidents WHERE title = 'Screen'"); n != 1 {
		t.Errorf("%d incidents for the message read twice, want 1", n)
	}
	if _, no := seen(t, c, folder); no != 0 {
		t.Errorf("%d unseen after the next poll, want none", no)
	}
	if n := d.count("SELECT COUNT(*) FROM mail_in_log WHERE via = 'imap' AND mailbox = ? AND uid > 0", folder); n != 4 {
		t.Errorf("%d log entries with their UID, want 4 (the duplicate is not logged twice)", n)
	}

	// A wrong password is an error, not a silent empty poll.
	d.s.Cfg.IMAPURL = "imap://" + imapUser + ":wrong@" + dv.addr + "/" + folder
	if _, err := d.s.PollIMAP(ctx); err == nil {
		t.Error("a wrong password polled without error")
	}
}
