package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/jobs"
	"steward/internal/mail"
	"steward/internal/store/storetest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile, pool
}

// Against a server that requires STARTTLS and authentication, with
// credentials in the URL: delivered when its certificate is trusted,
// refused (and kept queued) when it is not; credentials are never sent
// to a server that offers no STARTTLS.
func TestStartTLSWithAuthentication(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	tlsMP := startMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, "--smtp-require-starttls", "--smtp-auth-accept-any")
	plainMP := startMailpit(t, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	e := storetest.SQLite(t)
	ctx := context.Background()
	s := newSite(t, e, "smtp://desk:s3cret@"+tlsMP.smtpAddr())
	agent := s.user("agent", auth.Agent, "Alex Agent")
	ann := s.user("ann", auth.Requester, "Ann Requester")
	inc := s.incident(agent, ann, "Badge reader broken")

	// The system's authorities do not know the test's certificate.
	s.comment(agent, inc, "A technician is on the way.")
	s.mailOut()
	list, _, _ := s.app.Mail.List(ctx, mail.Filter{})
	if len(list) != 1 || list[0].State != mail.Queued || !strings.Contains(list[0].LastError, "certificate") {
		t.Fatalf("with an untrusted certificate: %+v", list)
	}
	if n := len(tlsMP.messages(t)); n != 0 {
		t.Fatalf("%d messages went to a server whose certificate is not trusted", n)
	}

	s.app.Mail.RootCAs = pool
	if err := s.app.Mail.Deliver(ctx, jobs.Job{}); err != nil {
		t.Fatal(err)
	}
	got := tlsMP.waitFor(t, 1)
	if !strings.Contains(got[0].Subject, inc.Number) {
		t.Errorf("over STARTTLS: %q", got[0].Subject)
	}
	if m, _ := s.app.Mail.Get(ctx, list[0].ID); m.State != mail.Sent {
		t.Errorf("state %s after delivery over STARTTLS", m.State)
	}

	// The same credentials for a server that offers no STARTTLS: refused
	// before they are sent.
	plain := newSite(t, storetest.SQLite(t), "smtp://desk:s3cret@"+plainMP.smtpAddr())
	agent2 := plain.user("agent", auth.Agent, "Alex Agent")
	bob := plain.user("bob", auth.Requester, "Bob Requester")
	plain.comment(agent2, plain.incident(agent2, bob, "Screen cracked"), "Ordered a new one.")
	plain.mailOut()
	list, _, _ = plain.app.Mail.List(ctx, mail.Filter{})
	if len(list) != 1 || list[0].State != mail.Queued || !strings.Contains(strings.ToLower(list[0].LastError), "tls") {
		t.Fatalf("credentials over a plain connection: %+v", list)
	}
	if n := len(plainMP.messages(t)); n != 0 {
		t.Errorf("%d messages sent with credentials over a plain connection", n)
	}
}

// Names and titles people type cannot add headers or recipients: CR and
// LF in them end up as spaces, in one header line.
func TestHeaderInjectionIsNeutralised(t *testing.T) {
	mp := startMailpit(t)
	e := storetest.SQLite(t)
	s := newSite(t, e, mp.smtpURL())
	agent := s.user("agent", auth.Agent, "Alex Agent")
	eve := s.user("eve", auth.Requester, "Eve\r\nBcc: mallory@evil.test")
	// Names as stored may hold line breaks that validation of today would
	// refuse; mail must stay safe with them.
	if _, err := e.DB.Exec(context.Background(), "UPDATE users SET name = ? WHERE id = ?", "Eve\r\nBcc: mallory@evil.test", eve.UserID); err != nil {
		t.Fatal(err)
	}
	inc := s.incident(agent, eve, "Broken")
	if _, err := e.DB.Exec(context.Background(), "UPDATE incidents SET title = ? WHERE id = ?", "Broken\r\nBcc: mallory@evil.test\r\nX-Evil: 1", inc.ID); err != nil {
		t.Fatal(err)
	}
	s.comment(agent, inc, "Looking.\r\n\r\nBcc: mallory@evil.test")
	s.mailOut()
	got := mp.waitFor(t, 1)
	raw := mp.raw(t, got[0].ID)
	if v := headerOf(raw, "Bcc"); len(v) != 0 {
		t.Errorf("a Bcc header reached the message: %q", v)
	}
	if v := headerOf(raw, "X-Evil"); len(v) != 0 {
		t.Errorf("an injected header reached the message: %q", v)
	}
	m := mp.message(t, got[0].ID)
	if len(m.To) != 1 || m.To[0].Address != "eve@mail.test" {
		t.Errorf("recipients %+v, want Eve alone", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") || !strings.Contains(m.Subject, "Broken Bcc: mallory@evil.test X-Evil: 1") {
		t.Errorf("subject %q", m.Subject)
	}
	if len(headerOf(raw, "Subject")) != 1 || len(headerOf(raw, "To")) != 1 {
		t.Errorf("subject or To written more than once:\n%s", raw)
	}
}
