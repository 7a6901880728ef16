package app

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// certificate serves the key pair from two files and reads them again when
// the certificate file changes, looked at once a minute at most, so that a
// renewed certificate is picked up without a restart.
type certificate struct {
	certFile, keyFile string

	mu      sync.Mutex
	current *tls.Certificate
	modTime time.Time
	checked time.Time
}

func loadCertificate(certFile, keyFile string) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certificate) load() error {
	info, err := os.Stat(c.certFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate and key: %w", err)
	}
	c.current, c.modTime = &pair, info.ModTime()
	return nil
}

// get is tls.Config.GetCertificate. A renewed pair that cannot be read
// (the key written after the certificate, say) leaves the old one in use.
func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) > time.Minute {
		c.checked = now
		if info, err := os.Stat(c.certFile); err == nil && !info.ModTime().Equal(c.modTime) {
			_ = c.load() // on failure the old pair stays, and the next look tries again
		}
	}
	return c.current, nil
}

// tlsConfig is the server's TLS: version 1.2 at least, Go's default ciphers.
func (c *certificate) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}
}
