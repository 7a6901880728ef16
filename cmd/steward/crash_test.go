package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// A kill -9 while clients are creating incidents loses no incident whose
// 201 a client received, and leaves a consistent database and audit chain.
func TestKillDuringWritesLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "steward")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("steward %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("a-long-password\n", "user", "create", "--data", data, "--email", "ops@crash.test", "--name", "Ops", "--role", "agent", "--password-stdin")
	token := run("", "token", "create", "--data", data, "--email", "ops@crash.test", "--name", "crash")
	token = token[strings.LastIndex(token, "\n")+1:]

	addr := freeAddr(t)
	srv := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	var logs bytes.Buffer
	srv.Stderr = &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, "http://"+addr+"/readyz")

	var mu sync.Mutex
	var acked []int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := 0; ctx.Err() == nil && i < 5000; i++ {
				body := fmt.Sprintf(`{"title":"crash test %d-%d","description":"written while the server is killed"}`, c, i)
				req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/api/v1/incidents", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				var inc struct{ ID int64 }
				if res.StatusCode == 201 {
					json.NewDecoder(res.Body).Decode(&inc)
				}
				res.Body.Close()
				if res.StatusCode == 201 && inc.ID > 0 {
					mu.Lock()
					acked = append(acked, inc.ID)
					mu.Unlock()
				}
			}
		}(c)
	}
	// Kill once a good number of writes have been acknowledged.
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	cancel()
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d incidents acknowledged before the kill; logs:\n%s", len(acked), logs.String())
	}

	db, err := sql.Open("sqlite", filepath.Join(data, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q %v", check, err)
	}
	for _, id := range acked {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM incidents i JOIN incident_journal j ON j.incident_id = i.id WHERE i.id = ?", id).Scan(&n); err != nil || n == 0 {
			t.Fatalf("incident %d was acknowledged but is missing after the kill (%v)", id, err)
		}
	}
	var incidents, fts int
	if err := db.QueryRow("SELECT COUNT(*) FROM incidents").Scan(&incidents); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM incident_fts").Scan(&fts); err != nil {
		t.Fatal(err)
	}
	if incidents != fts {
		t.Fatalf("%d incidents but %d search entries", incidents, fts)
	}
	db.Close()
	out := run("", "audit", "verify", "--data", data)
	if !strings.HasPrefix(out, "OK:") {
		t.Fatalf("audit verify after the kill: %s", out)
	}
	t.Logf("%d acknowledged incidents survived the kill; %d in the database; %s", len(acked), incidents, out)
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, url string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s did not become ready", url)
}
