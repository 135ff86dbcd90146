// Core NATS protocol behaviour through the official Go client (nats.go).
package clients

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestCorePubSub(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	subj := "core.pubsub." + unique()
	sub, err := nc.SubscribeSync(subj)
	must(t, err, "subscribe")
	must(t, nc.Flush(), "flush")
	for i := 0; i < 20; i++ {
		must(t, nc.Publish(subj, []byte(fmt.Sprintf("msg-%d", i))), "publish")
	}
	for i := 0; i < 20; i++ {
		m := nextMsg(t, sub)
		if got, want := string(m.Data), fmt.Sprintf("msg-%d", i); got != want || m.Subject != subj {
			t.Fatalf("message %d: got %q on %q, want %q on %q", i, got, m.Subject, want, subj)
		}
	}
	// A zero-length payload is a valid message too.
	must(t, nc.Publish(subj, nil), "publish empty")
	if m := nextMsg(t, sub); len(m.Data) != 0 {
		t.Fatalf("empty payload arrived as %q", m.Data)
	}
	expectNoPending(t, nc, sub)
}

func TestCoreWildcards(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	u := unique()
	star, err := nc.SubscribeSync("wc." + u + ".*.x")
	must(t, err, "subscribe *")
	full, err := nc.SubscribeSync("wc." + u + ".>")
	must(t, err, "subscribe >")
	must(t, nc.Flush(), "flush")
	for _, s := range []string{"a.x", "b.y", "a.b.x", "c.x"} {
		must(t, nc.Publish("wc."+u+"."+s, []byte(s)), "publish")
	}
	for _, want := range []string{"a.x", "c.x"} {
		if m := nextMsg(t, star); string(m.Data) != want {
			t.Fatalf("'*' subscription got %q, want %q", m.Data, want)
		}
	}
	for _, want := range []string{"a.x", "b.y", "a.b.x", "c.x"} {
		if m := nextMsg(t, full); string(m.Data) != want {
			t.Fatalf("'>' subscription got %q, want %q", m.Data, want)
		}
	}
	// '>' needs at least one token after the prefix.
	must(t, nc.Publish("wc."+u, []byte("bare")), "publish bare")
	expectNoPending(t, nc, star)
	expectNoPending(t, nc, full)
}

func TestCoreQueueGroups(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	subj := "core.queue." + unique()
	const members, total = 3, 300
	var subs []*nats.Subscription
	for i := 0; i < members; i++ {
		s, err := nc.QueueSubscribeSync(subj, "workers")
		must(t, err, "queue subscribe")
		subs = append(subs, s)
	}
	plain, err := nc.SubscribeSync(subj)
	must(t, err, "plain subscribe")
	must(t, nc.Flush(), "flush")
	for i := 0; i < total; i++ {
		must(t, nc.Publish(subj, []byte(fmt.Sprint(i))), "publish")
	}
	must(t, nc.Flush(), "flush")
	for i := 0; i < total; i++ {
		nextMsg(t, plain)
	}
	// Every message went to exactly one member of the group.
	seen := map[string]int{}
	busy := 0
	for _, s := range subs {
		n, _, _ := s.Pending()
		if n > 0 {
			busy++
		}
		for j := 0; j < n; j++ {
			seen[string(nextMsg(t, s).Data)]++
		}
	}
	if len(seen) != total {
		t.Fatalf("queue group received %d distinct messages, want %d", len(seen), total)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("message %s delivered %d times within the queue group", k, c)
		}
	}
	// Members are picked at random: with 300 messages all landing on one member has p≈3^-299.
	if busy < 2 {
		t.Fatalf("only %d of %d queue members received messages", busy, members)
	}
}

func TestCoreRequestReply(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	subj := "core.svc." + unique()
	_, err := nc.Subscribe(subj, func(m *nats.Msg) {
		_ = m.Respond([]byte(strings.ToUpper(string(m.Data))))
	})
	must(t, err, "subscribe responder")
	must(t, nc.Flush(), "flush")
	for i := 0; i < 10; i++ {
		resp, err := nc.Request(subj, []byte(fmt.Sprintf("hello-%d", i)), msgTimeout)
		must(t, err, "request %d", i)
		if want := fmt.Sprintf("HELLO-%d", i); string(resp.Data) != want {
			t.Fatalf("reply %q, want %q", resp.Data, want)
		}
	}
	// Old-style request with an explicit inbox subscription.
	inbox := nats.NewInbox()
	isub, err := nc.SubscribeSync(inbox)
	must(t, err, "subscribe inbox")
	must(t, nc.PublishRequest(subj, inbox, []byte("x")), "publish request")
	if m := nextMsg(t, isub); string(m.Data) != "X" {
		t.Fatalf("inbox reply %q", m.Data)
	}
}

func TestCoreNoResponders(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	start := time.Now()
	_, err := nc.Request("core.nobody."+unique(), []byte("anyone?"), 10*time.Second)
	if !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("request with no subscribers: got %v, want ErrNoResponders", err)
	}
	// The 503 status comes straight back instead of waiting out the timeout.
	if d := time.Since(start); d >= 10*time.Second {
		t.Fatalf("no-responders answer took %v", d)
	}
}

func TestCoreHeaders(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	subj := "core.hdr." + unique()
	sub, err := nc.SubscribeSync(subj)
	must(t, err, "subscribe")
	must(t, nc.Flush(), "flush")
	m := nats.NewMsg(subj)
	m.Header["X-Trace-Id"] = []string{"abc-123"}
	m.Header["X-Multi"] = []string{"one", "two"}
	m.Header["lower-case-key"] = []string{"kept as sent"}
	m.Data = []byte("with headers")
	must(t, nc.PublishMsg(m), "publish with headers")
	got := nextMsg(t, sub)
	if string(got.Data) != "with headers" {
		t.Fatalf("payload %q", got.Data)
	}
	if v := got.Header.Get("X-Trace-Id"); v != "abc-123" {
		t.Fatalf("X-Trace-Id = %q", v)
	}
	if v := got.Header.Values("X-Multi"); len(v) != 2 || v[0] != "one" || v[1] != "two" {
		t.Fatalf("X-Multi = %q", v)
	}
	if v := got.Header["lower-case-key"]; len(v) != 1 || v[0] != "kept as sent" {
		t.Fatalf("lower-case-key = %q (headers %v)", v, got.Header)
	}
	// Headers through request/reply in both directions.
	_, err = nc.Subscribe(subj+".svc", func(r *nats.Msg) {
		out := nats.NewMsg(r.Reply)
		out.Header.Set("X-Echo", r.Header.Get("X-Ask"))
		out.Data = []byte("ok")
		_ = r.RespondMsg(out)
	})
	must(t, err, "subscribe svc")
	must(t, nc.Flush(), "flush")
	req := nats.NewMsg(subj + ".svc")
	req.Header.Set("X-Ask", "ping")
	resp, err := nc.RequestMsg(req, msgTimeout)
	must(t, err, "request with headers")
	if v := resp.Header.Get("X-Echo"); v != "ping" {
		t.Fatalf("X-Echo = %q", v)
	}
}

func roundTrip(t *testing.T, nc *nats.Conn) {
	t.Helper()
	subj := "allowed.rt." + unique()
	sub, err := nc.SubscribeSync(subj)
	must(t, err, "subscribe")
	must(t, nc.Publish(subj, []byte("rt")), "publish")
	if m := nextMsg(t, sub); string(m.Data) != "rt" {
		t.Fatalf("round trip got %q", m.Data)
	}
}

func expectAuthFailure(t *testing.T, url string, opts ...nats.Option) {
	t.Helper()
	opts = append(opts, nats.NoReconnect())
	nc, err := nats.Connect(url, opts...)
	if err == nil {
		nc.Close()
		t.Fatalf("connect with bad credentials succeeded")
	}
	if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("connect with bad credentials: got %v, want an authorization violation", err)
	}
}

func TestCoreAuthUserPassword(t *testing.T) {
	url := env(t, "NATS_USERS_URL")
	roundTrip(t, connect(t, url, nats.UserInfo(env(t, "NATS_USER"), env(t, "NATS_PASSWORD"))))
	roundTrip(t, connect(t, url, nats.UserInfo(env(t, "NATS_LIMITED_USER"), env(t, "NATS_LIMITED_PASSWORD"))))
	expectAuthFailure(t, url, nats.UserInfo(env(t, "NATS_USER"), "wrong-password"))
	expectAuthFailure(t, url, nats.UserInfo("nobody", "x"))
	expectAuthFailure(t, url)
}

func TestCoreAuthToken(t *testing.T) {
	url := env(t, "NATS_TOKEN_URL")
	roundTrip(t, connect(t, url, nats.Token(env(t, "NATS_TOKEN"))))
	expectAuthFailure(t, url, nats.Token("not-the-token"))
	expectAuthFailure(t, url)
}

func TestCorePermissionViolation(t *testing.T) {
	url := env(t, "NATS_USERS_URL")
	errs := make(chan error, 16)
	limited := connect(t, url,
		nats.UserInfo(env(t, "NATS_LIMITED_USER"), env(t, "NATS_LIMITED_PASSWORD")),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	admin := connect(t, url, nats.UserInfo(env(t, "NATS_USER"), env(t, "NATS_PASSWORD")))
	u := unique()
	watch, err := admin.SubscribeSync("*." + u)
	must(t, err, "admin subscribe")
	must(t, admin.Flush(), "flush")

	// Denied publish: async error, message dropped, connection stays up.
	must(t, limited.Publish("denied."+u, []byte("forbidden")), "publish denied")
	must(t, limited.Publish("allowed."+u, []byte("fine")), "publish allowed")
	must(t, limited.Flush(), "flush after violation")
	err = waitChan(t, errs, msgTimeout, "publish permission error")
	want := fmt.Sprintf(`permissions violation for publish to "denied.%s"`, u)
	if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(strings.ToLower(err.Error()), want) {
		t.Fatalf("publish violation error = %v, want %s", err, want)
	}
	// The admin sees only the allowed message: the denied one, sent first, was dropped.
	if m := nextMsg(t, watch); m.Subject != "allowed."+u {
		t.Fatalf("admin received %q on %q; the denied publish was delivered", m.Data, m.Subject)
	}

	// Denied subscription: async error, no messages, connection still usable.
	bad, err := limited.SubscribeSync("denied.sub." + u)
	must(t, err, "subscribe (client side)")
	must(t, limited.Flush(), "flush")
	err = waitChan(t, errs, msgTimeout, "subscribe permission error")
	want = fmt.Sprintf(`permissions violation for subscription to "denied.sub.%s"`, u)
	if !strings.Contains(strings.ToLower(err.Error()), want) {
		t.Fatalf("subscribe violation error = %v, want %s", err, want)
	}
	must(t, admin.Publish("denied.sub."+u, []byte("x")), "admin publish")
	must(t, admin.Flush(), "flush")
	must(t, limited.Flush(), "flush")
	if n, _, _ := bad.Pending(); n != 0 {
		t.Fatalf("denied subscription received %d messages", n)
	}
	if !limited.IsConnected() {
		t.Fatalf("connection closed after permission violations: %v", limited.LastError())
	}
	roundTrip(t, limited)
}

func tlsConfig(t *testing.T, withClientCert bool) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(env(t, "NATS_TLS_CA"))
	must(t, err, "read CA")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", env(t, "NATS_TLS_CA"))
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withClientCert {
		cert, err := tls.LoadX509KeyPair(env(t, "NATS_TLS_CERT"), env(t, "NATS_TLS_KEY"))
		must(t, err, "load client cert")
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

func TestCoreTLS(t *testing.T) {
	url := env(t, "NATS_TLS_URL")
	nc := connect(t, url, nats.Secure(tlsConfig(t, true)))
	state, err := nc.TLSConnectionState()
	must(t, err, "TLS state")
	if !state.HandshakeComplete || len(state.PeerCertificates) == 0 {
		t.Fatalf("TLS handshake incomplete: %+v", state)
	}
	subj := "tls." + unique()
	sub, err := nc.SubscribeSync(subj)
	must(t, err, "subscribe")
	must(t, nc.Publish(subj, []byte("secret")), "publish")
	if m := nextMsg(t, sub); string(m.Data) != "secret" {
		t.Fatalf("got %q", m.Data)
	}
	// The server verifies client certificates: without one the connection is refused.
	if bad, err := nats.Connect(url, nats.Secure(tlsConfig(t, false)), nats.NoReconnect(), nats.Timeout(5*time.Second)); err == nil {
		bad.Close()
		t.Fatalf("TLS connect without a client certificate succeeded")
	}
	// And a client that does not trust the server's CA refuses the server.
	if bad, err := nats.Connect(url, nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}), nats.NoReconnect(), nats.Timeout(5*time.Second)); err == nil {
		bad.Close()
		t.Fatalf("TLS connect trusting only system roots succeeded")
	}
}

func TestCoreReconnectAfterRestart(t *testing.T) {
	url, ctl := env(t, "NATS_RESTART_URL"), env(t, "NATS_RESTART_CTL")
	disconnected := make(chan struct{}, 4)
	reconnected := make(chan struct{}, 4)
	nc := connect(t, url,
		nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond),
		nats.ReconnectJitter(0, 0),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { disconnected <- struct{}{} }),
		nats.ReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} }))
	subj := "reconnect." + unique()
	sub, err := nc.SubscribeSync(subj)
	must(t, err, "subscribe")
	_, err = nc.Subscribe(subj+".svc", func(m *nats.Msg) { _ = m.Respond([]byte("pong")) })
	must(t, err, "subscribe svc")
	must(t, nc.Publish(subj, []byte("before")), "publish")
	if m := nextMsg(t, sub); string(m.Data) != "before" {
		t.Fatalf("got %q", m.Data)
	}

	requestRestart(t, ctl, "term")
	waitChan(t, disconnected, reconnectTimeout, "disconnect")
	waitChan(t, reconnected, reconnectTimeout, "reconnect")

	// Subscriptions are re-established on the new server process.
	must(t, nc.Publish(subj, []byte("after")), "publish after restart")
	if m := nextMsg(t, sub); string(m.Data) != "after" {
		t.Fatalf("after restart got %q", m.Data)
	}
	resp, err := nc.Request(subj+".svc", []byte("ping"), msgTimeout)
	must(t, err, "request after restart")
	if string(resp.Data) != "pong" {
		t.Fatalf("reply %q", resp.Data)
	}
}

func TestCoreServerInfoAndNoEcho(t *testing.T) {
	nc := connect(t, env(t, "NATS_URL"))
	// Clients gate features on the advertised version (headers need >= 2.2; we claim 2.10+).
	var major, minor, patch int
	if _, err := fmt.Sscanf(nc.ConnectedServerVersion(), "%d.%d.%d", &major, &minor, &patch); err != nil || major != 2 || minor < 10 {
		t.Fatalf("server version %q, want 2.10 or later", nc.ConnectedServerVersion())
	}
	if !nc.HeadersSupported() {
		t.Fatalf("server does not advertise headers")
	}
	if mp := nc.MaxPayload(); mp != 1024*1024 {
		t.Fatalf("max_payload %d, want the 1 MiB default", mp)
	}
	// A payload at exactly max_payload is accepted.
	subj := "core.big." + unique()
	sub, err := nc.SubscribeSync(subj)
	must(t, err, "subscribe")
	big := make([]byte, nc.MaxPayload())
	must(t, nc.Publish(subj, big), "publish max_payload bytes")
	if m := nextMsg(t, sub); len(m.Data) != len(big) {
		t.Fatalf("received %d bytes, want %d", len(m.Data), len(big))
	}

	// echo=false: a connection does not receive its own messages, others still do.
	quiet := connect(t, env(t, "NATS_URL"), nats.NoEcho())
	other := connect(t, env(t, "NATS_URL"))
	subj = "core.echo." + unique()
	own, err := quiet.SubscribeSync(subj)
	must(t, err, "subscribe own")
	theirs, err := other.SubscribeSync(subj)
	must(t, err, "subscribe other")
	must(t, quiet.Flush(), "flush")
	must(t, other.Flush(), "flush")
	must(t, quiet.Publish(subj, []byte("self")), "publish")
	if m := nextMsg(t, theirs); string(m.Data) != "self" {
		t.Fatalf("other connection got %q", m.Data)
	}
	expectNoPending(t, quiet, own)
	must(t, other.Publish(subj, []byte("from other")), "publish other")
	if m := nextMsg(t, own); string(m.Data) != "from other" {
		t.Fatalf("no-echo connection got %q from another connection", m.Data)
	}
}
