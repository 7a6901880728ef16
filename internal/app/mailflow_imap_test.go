package app_test

import (
	"bytes"
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
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/client"

	"steward/internal/app"
	"steward/internal/store/storetest"
)

// The same flow with the requester's messages arriving in a real IMAP
// mailbox (Dovecot) that Steward polls, as with --imap-url.

const mailboxPassword = "mailbox-secret"

// mailbox is a Dovecot of one test: its own configuration, password file
// and Maildir in a temporary folder, STARTTLS with a certificate made here.
type mailbox struct {
	addr  string
	roots *x509.CertPool
}

func startDovecot(t *testing.T) mailbox {
	t.Helper()
	bin := os.Getenv("STEWARD_TEST_DOVECOT")
	if bin == "" {
		t.Skip("the mail flow through IMAP is not tested: STEWARD_TEST_DOVECOT (the dovecot binary) is unset")
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
	roots := mailboxCert(t, dir)
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(deskAddress+":{PLAIN}"+mailboxPassword+"\n"), 0o644); err != nil {
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
    port = %[5]s
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
	waitUntil(t, "dovecot to listen", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return mailbox{addr: addr, roots: roots}
}

// mailboxCert writes a certificate for 127.0.0.1 and its key into dir.
func mailboxCert(t *testing.T, dir string) *x509.CertPool {
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

// put files raw in the desk's INBOX, as the organisation's mail server
// delivers it.
func (mb mailbox) put(t *testing.T, raw string) {
	t.Helper()
	c, err := client.Dial(mb.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout()
	if err := c.StartTLS(&tls.Config{RootCAs: mb.roots, ServerName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Login(deskAddress, mailboxPassword); err != nil {
		t.Fatal(err)
	}
	if err := c.Append("INBOX", nil, time.Now(), bytes.NewBufferString(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
}

// TestMailFlowIMAP runs the flow with Steward polling a Dovecot mailbox.
func TestMailFlowIMAP(t *testing.T) {
	mb := startDovecot(t)
	imapURL := "imap://" + url.QueryEscape(deskAddress) + ":" + mailboxPassword + "@" + mb.addr + "/INBOX"
	d := startDesk(t, storetest.SQLite(t), func(a *app.App) { a.Inbound.IMAPTLS = &tls.Config{RootCAs: mb.roots} },
		"--imap-url", imapURL, "--imap-interval", "1s")
	// The mail server that files a message records its envelope sender as
	// Return-Path, which Steward checks against From.
	mailFlow(t, d, func(from, raw string) { mb.put(t, "Return-Path: <"+from+">\n"+raw) })
	var taken int
	if err := d.a.DB.QueryRow(t.Context(), "SELECT COUNT(*) FROM mail_in_log WHERE via = 'imap'").Scan(&taken); err != nil || taken != 2 {
		t.Fatalf("the log holds %d messages read over IMAP (%v), want 2", taken, err)
	}
}
