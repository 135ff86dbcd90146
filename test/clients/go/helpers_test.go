// Shared helpers for the nats.go suites. The vitest wrapper (test/clients/go.test.ts) starts the
// brokers and passes their URLs and credentials in env vars; see test/clients/README.md.
package clients

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Deadlines: generous for a loaded 2-core CI machine, but every wait is bounded.
const (
	msgTimeout       = 5 * time.Second
	reconnectTimeout = 30 * time.Second
	restartTimeout   = 60 * time.Second
)

// env returns a required env var or fails the test with a hint.
func env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("env %s is not set: run this suite through test/clients/go.test.ts (npx vitest run test/clients/go.test.ts)", name)
	}
	return v
}

// unique returns a fresh subject token so tests never see each other's traffic.
func unique() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.Name("sluice-go-suite"), nats.Timeout(5 * time.Second)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func nextMsg(t testing.TB, sub *nats.Subscription) *nats.Msg {
	t.Helper()
	m, err := sub.NextMsg(msgTimeout)
	if err != nil {
		t.Fatalf("waiting for a message on %q: %v", sub.Subject, err)
	}
	return m
}

// expectNoPending asserts that, after a round trip to the server, sub has nothing queued: the
// server processes one connection's operations in order, so anything sent before the flush
// has been delivered by the time the flush returns.
func expectNoPending(t testing.TB, nc *nats.Conn, sub *nats.Subscription) {
	t.Helper()
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if n, _, _ := sub.Pending(); n != 0 {
		m, _ := sub.NextMsg(0)
		t.Fatalf("expected no message on %q, got %d (first: %q on %q)", sub.Subject, n, m.Data, m.Subject)
	}
}

// requestRestart asks the wrapper to restart the broker behind ctlDir (protocol in
// test/clients/lib/restart-controller.ts) and waits until it has been restarted.
func requestRestart(t testing.TB, ctlDir, mode string) {
	t.Helper()
	id := unique()
	tmp := filepath.Join(ctlDir, "tmp-"+id)
	if err := os.WriteFile(tmp, []byte(mode), 0o644); err != nil {
		t.Fatalf("write restart request: %v", err)
	}
	if err := os.Rename(tmp, filepath.Join(ctlDir, "request-"+id)); err != nil {
		t.Fatalf("publish restart request: %v", err)
	}
	done := filepath.Join(ctlDir, "done-"+id)
	deadline := time.Now().Add(restartTimeout)
	for {
		b, err := os.ReadFile(done)
		if err == nil {
			if s := strings.TrimSpace(string(b)); s != "ok" {
				t.Fatalf("broker restart failed: %s", s)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker was not restarted within %v", restartTimeout)
		}
		time.Sleep(20 * time.Millisecond) // polling a file the wrapper writes; bounded by deadline
	}
}

// waitChan waits for a signal with a deadline.
func waitChan[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		var zero T
		t.Fatalf("timed out after %v waiting for %s", d, what)
		return zero
	}
}

func must(t testing.TB, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}
