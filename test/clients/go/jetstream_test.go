// JetStream and KV through the official Go client's jetstream package. Run as the JetStream
// group (-run ^TestJetStream) against a `-js` server: env NATS_JS_URL and NATS_JS_CTL.
package clients

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func jsConnect(t *testing.T, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, context.Context) {
	t.Helper()
	nc := connect(t, env(t, "NATS_JS_URL"), opts...)
	js, err := jetstream.New(nc)
	must(t, err, "jetstream.New")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return nc, js, ctx
}

func apiCode(err error) jetstream.ErrorCode {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode
	}
	return 0
}

func TestJetStreamStreamCRUD(t *testing.T) {
	_, js, ctx := jsConnect(t)
	u := unique()
	name := "CRUD_" + u
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{"crud." + u + ".>"}, Storage: jetstream.FileStorage, MaxMsgs: 100,
	})
	must(t, err, "create stream")
	info, err := s.Info(ctx)
	must(t, err, "stream info")
	if info.Config.Name != name || info.Config.MaxMsgs != 100 || info.Config.Storage != jetstream.FileStorage {
		t.Fatalf("stream config not as created: %+v", info.Config)
	}

	// Update: raise the limit and add a subject.
	_, err = js.UpdateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{"crud." + u + ".>", "crud2." + u}, Storage: jetstream.FileStorage, MaxMsgs: 200,
	})
	must(t, err, "update stream")
	info, err = s.Info(ctx)
	must(t, err, "stream info after update")
	if info.Config.MaxMsgs != 200 || len(info.Config.Subjects) != 2 {
		t.Fatalf("update not applied: %+v", info.Config)
	}

	// Another stream may not claim overlapping subjects.
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "OVERLAP_" + u, Subjects: []string{"crud." + u + ".x"}})
	if code := apiCode(err); code != 10065 { // JSStreamSubjectOverlapErr
		t.Fatalf("overlapping stream: got %v (code %d), want subjects-overlap error 10065", err, code)
	}

	// Listed by name.
	var names []string
	lister := js.StreamNames(ctx)
	for n := range lister.Name() {
		names = append(names, n)
	}
	must(t, lister.Err(), "stream names")
	if !slices.Contains(names, name) {
		t.Fatalf("stream %s not in names %v", name, names)
	}

	_, err = js.Publish(ctx, "crud."+u+".a", []byte("x"))
	must(t, err, "publish")
	must(t, s.Purge(ctx), "purge")
	info, err = s.Info(ctx)
	must(t, err, "info after purge")
	if info.State.Msgs != 0 || info.State.LastSeq != 1 {
		t.Fatalf("after purge: msgs=%d last_seq=%d, want 0 and 1", info.State.Msgs, info.State.LastSeq)
	}

	must(t, js.DeleteStream(ctx, name), "delete stream")
	if _, err := js.Stream(ctx, name); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream after delete: got %v, want ErrStreamNotFound", err)
	}
	if err := js.DeleteStream(ctx, name); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("second delete: got %v, want ErrStreamNotFound", err)
	}
}

func TestJetStreamPublishDedupAndExpectations(t *testing.T) {
	_, js, ctx := jsConnect(t)
	u := unique()
	name := "PUB_" + u
	subj := "pub." + u
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: name, Subjects: []string{subj + ".>"}, Storage: jetstream.FileStorage, Duplicates: time.Minute,
	})
	must(t, err, "create stream")

	a1, err := js.Publish(ctx, subj+".a", []byte("one"), jetstream.WithMsgID("id-1"))
	must(t, err, "publish id-1")
	if a1.Stream != name || a1.Sequence != 1 || a1.Duplicate {
		t.Fatalf("first ack %+v", a1)
	}
	dup, err := js.Publish(ctx, subj+".a", []byte("one again"), jetstream.WithMsgID("id-1"))
	must(t, err, "republish id-1")
	if !dup.Duplicate || dup.Sequence != 1 {
		t.Fatalf("duplicate ack %+v, want duplicate of seq 1", dup)
	}

	_, err = js.Publish(ctx, subj+".a", []byte("x"), jetstream.WithExpectLastSequence(5))
	if apiCode(err) != jetstream.JSErrCodeStreamWrongLastSequence {
		t.Fatalf("wrong expected last sequence: got %v", err)
	}
	a2, err := js.Publish(ctx, subj+".b", []byte("two"), jetstream.WithExpectLastSequence(1), jetstream.WithMsgID("id-2"))
	must(t, err, "publish with correct expected last sequence")
	if a2.Sequence != 2 {
		t.Fatalf("seq %d, want 2", a2.Sequence)
	}
	if _, err = js.Publish(ctx, subj+".b", []byte("x"), jetstream.WithExpectStream("NOT_"+name)); err == nil || apiCode(err) != 10060 {
		t.Fatalf("wrong expected stream: got %v (code %d), want 10060", err, apiCode(err))
	}
	if _, err = js.Publish(ctx, subj+".b", []byte("x"), jetstream.WithExpectLastMsgID("id-1")); err == nil || apiCode(err) != 10070 {
		t.Fatalf("wrong expected last msg id: got %v (code %d), want 10070", err, apiCode(err))
	}
	_, err = js.Publish(ctx, subj+".b", []byte("three"), jetstream.WithExpectLastMsgID("id-2"), jetstream.WithExpectStream(name))
	must(t, err, "publish with matching last msg id and stream")
	if _, err = js.Publish(ctx, subj+".a", []byte("x"), jetstream.WithExpectLastSequencePerSubject(2)); apiCode(err) != jetstream.JSErrCodeStreamWrongLastSequence {
		t.Fatalf("wrong expected last subject sequence: got %v", err)
	}
	_, err = js.Publish(ctx, subj+".a", []byte("four"), jetstream.WithExpectLastSequencePerSubject(1))
	must(t, err, "publish with matching last subject sequence")

	info, err := js.Stream(ctx, name)
	must(t, err, "stream")
	st, err := info.Info(ctx)
	must(t, err, "info")
	if st.State.Msgs != 4 || st.State.LastSeq != 4 {
		t.Fatalf("stream has msgs=%d last=%d, want 4/4 (rejected publishes must not be stored)", st.State.Msgs, st.State.LastSeq)
	}
	m, err := info.GetMsg(ctx, 3)
	must(t, err, "get msg 3")
	if string(m.Data) != "three" || m.Subject != subj+".b" {
		t.Fatalf("msg 3 = %q on %s", m.Data, m.Subject)
	}

	// No stream listens: the publish fails fast instead of timing out.
	if _, err := js.Publish(ctx, "nostream."+u, []byte("x")); !errors.Is(err, jetstream.ErrNoStreamResponse) {
		t.Fatalf("publish without a stream: got %v, want ErrNoStreamResponse", err)
	}
}

func TestJetStreamPullConsumeAckNakTerm(t *testing.T) {
	_, js, ctx := jsConnect(t)
	u := unique()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PULL_" + u, Subjects: []string{"pull." + u}, Storage: jetstream.FileStorage})
	must(t, err, "create stream")
	for i := 0; i < 10; i++ {
		_, err := js.Publish(ctx, "pull."+u, []byte(fmt.Sprint(i)))
		must(t, err, "publish %d", i)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "worker", AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Second, MaxDeliver: 5,
	})
	must(t, err, "create consumer")

	// First pass through Consume: ack 0..6, nak 7, term 8, leave 9 unacked (redelivered after ack_wait).
	got := make(chan jetstream.Msg, 32)
	cc, err := cons.Consume(func(m jetstream.Msg) { got <- m })
	must(t, err, "consume")
	for i := 0; i < 10; i++ {
		m := waitChan(t, got, msgTimeout, fmt.Sprintf("message %d", i))
		md, err := m.Metadata()
		must(t, err, "metadata")
		if string(m.Data()) != fmt.Sprint(i) || md.NumDelivered != 1 || md.Sequence.Stream != uint64(i+1) {
			t.Fatalf("delivery %d: data %q, delivered %d, stream seq %d", i, m.Data(), md.NumDelivered, md.Sequence.Stream)
		}
		switch {
		case i < 6:
			must(t, m.Ack(), "ack")
		case i == 6:
			must(t, m.DoubleAck(ctx), "double ack") // the server confirms this one
		case i == 7:
			must(t, m.Nak(), "nak")
		case i == 8:
			must(t, m.Term(), "term")
		}
	}
	// Redeliveries: 7 (nak'd, right away) and 9 (ack_wait expired), each with NumDelivered 2; never 8.
	seen := map[string]bool{}
	for len(seen) < 2 {
		m := waitChan(t, got, 15*time.Second, "redelivery")
		md, err := m.Metadata()
		must(t, err, "metadata")
		d := string(m.Data())
		if d != "7" && d != "9" {
			t.Fatalf("unexpected redelivery of %q (delivered %d)", d, md.NumDelivered)
		}
		if md.NumDelivered != 2 {
			t.Fatalf("redelivery of %s has NumDelivered %d, want 2", d, md.NumDelivered)
		}
		seen[d] = true
		must(t, m.DoubleAck(ctx), "ack redelivery")
	}
	cc.Stop()

	info, err := cons.Info(ctx)
	must(t, err, "consumer info")
	if info.NumAckPending != 0 || info.NumPending != 0 || info.AckFloor.Stream != 10 || info.Delivered.Stream != 10 {
		t.Fatalf("consumer state: ack_pending=%d pending=%d ack_floor=%d delivered=%d",
			info.NumAckPending, info.NumPending, info.AckFloor.Stream, info.Delivered.Stream)
	}

	// Fetch: nothing left, so a short no-wait fetch returns empty.
	batch, err := cons.FetchNoWait(5)
	must(t, err, "fetch no wait")
	n := 0
	for range batch.Messages() {
		n++
	}
	if n != 0 {
		t.Fatalf("fetched %d messages from a drained consumer", n)
	}
	// New messages are fetched in a batch.
	for i := 10; i < 15; i++ {
		_, err := js.Publish(ctx, "pull."+u, []byte(fmt.Sprint(i)))
		must(t, err, "publish %d", i)
	}
	batch, err = cons.Fetch(5, jetstream.FetchMaxWait(msgTimeout))
	must(t, err, "fetch")
	var data []string
	for m := range batch.Messages() {
		data = append(data, string(m.Data()))
		must(t, m.Ack(), "ack fetched")
	}
	must(t, batch.Error(), "fetch error")
	if !slices.Equal(data, []string{"10", "11", "12", "13", "14"}) {
		t.Fatalf("fetched %v", data)
	}
}

func TestJetStreamOrderedConsumer(t *testing.T) {
	_, js, ctx := jsConnect(t)
	u := unique()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORD_" + u, Subjects: []string{"ord." + u + ".*"}, Storage: jetstream.FileStorage})
	must(t, err, "create stream")
	for i := 0; i < 60; i++ {
		sub := []string{"a", "b", "c"}[i%3]
		_, err := js.Publish(ctx, "ord."+u+"."+sub, []byte(fmt.Sprint(i)))
		must(t, err, "publish")
	}
	oc, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"ord." + u + ".a", "ord." + u + ".c"}})
	must(t, err, "ordered consumer")
	got := make(chan jetstream.Msg, 64)
	cc, err := oc.Consume(func(m jetstream.Msg) { got <- m })
	must(t, err, "consume")
	defer cc.Stop()
	var last uint64
	for i := 0; i < 60; i++ {
		if i%3 == 1 {
			continue
		}
		m := waitChan(t, got, msgTimeout, fmt.Sprintf("ordered message %d", i))
		md, err := m.Metadata()
		must(t, err, "metadata")
		if string(m.Data()) != fmt.Sprint(i) || md.Sequence.Stream <= last {
			t.Fatalf("ordered consumer: got %q (seq %d after %d), want %d", m.Data(), md.Sequence.Stream, last, i)
		}
		last = md.Sequence.Stream
	}
	// Live messages keep arriving in order.
	_, err = js.Publish(ctx, "ord."+u+".c", []byte("live"))
	must(t, err, "publish live")
	if m := waitChan(t, got, msgTimeout, "live message"); string(m.Data()) != "live" {
		t.Fatalf("live message %q", m.Data())
	}
}

func TestJetStreamKeyValue(t *testing.T) {
	_, js, ctx := jsConnect(t)
	u := unique()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "cfg_" + u, History: 5, Storage: jetstream.FileStorage})
	must(t, err, "create bucket")

	watcher, err := kv.Watch(ctx, "app.*")
	must(t, err, "watch")
	defer func() { _ = watcher.Stop() }()
	if e := waitChan(t, watcher.Updates(), msgTimeout, "initial-values marker"); e != nil {
		t.Fatalf("empty bucket watch: first update %v, want nil marker", e)
	}

	r1, err := kv.Put(ctx, "app.color", []byte("red"))
	must(t, err, "put")
	e, err := kv.Get(ctx, "app.color")
	must(t, err, "get")
	if string(e.Value()) != "red" || e.Revision() != r1 {
		t.Fatalf("get = %q rev %d, want red rev %d", e.Value(), e.Revision(), r1)
	}
	r2, err := kv.Update(ctx, "app.color", []byte("green"), r1)
	must(t, err, "update with the current revision")
	if _, err := kv.Update(ctx, "app.color", []byte("blue"), r1); err == nil {
		t.Fatalf("update with a stale revision succeeded")
	}
	if _, err := kv.Create(ctx, "app.color", []byte("x")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("create on an existing key: got %v, want ErrKeyExists", err)
	}
	e, err = kv.Get(ctx, "app.color")
	must(t, err, "get after update")
	if string(e.Value()) != "green" || e.Revision() != r2 {
		t.Fatalf("after update: %q rev %d", e.Value(), e.Revision())
	}
	_, err = kv.Put(ctx, "app.size", []byte("L"))
	must(t, err, "put size")
	must(t, kv.Delete(ctx, "app.color"), "delete")
	if _, err := kv.Get(ctx, "app.color"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("get after delete: got %v, want ErrKeyNotFound", err)
	}
	// Re-create works after a delete.
	_, err = kv.Create(ctx, "app.color", []byte("black"))
	must(t, err, "create after delete")

	hist, err := kv.History(ctx, "app.color")
	must(t, err, "history")
	var ops []string
	for _, h := range hist {
		ops = append(ops, fmt.Sprintf("%s:%s", h.Operation(), h.Value()))
	}
	want := []string{"KeyValuePutOp:red", "KeyValuePutOp:green", "KeyValueDeleteOp:", "KeyValuePutOp:black"}
	if !slices.Equal(ops, want) {
		t.Fatalf("history %v, want %v", ops, want)
	}

	// The watcher saw every change live, in order.
	var seen []string
	for len(seen) < 5 {
		e := waitChan(t, watcher.Updates(), msgTimeout, "watch update")
		if e == nil {
			t.Fatalf("unexpected nil watch update after the initial marker")
		}
		seen = append(seen, fmt.Sprintf("%s=%s/%s", e.Key(), e.Value(), e.Operation()))
	}
	wantSeen := []string{
		"app.color=red/KeyValuePutOp", "app.color=green/KeyValuePutOp", "app.size=L/KeyValuePutOp",
		"app.color=/KeyValueDeleteOp", "app.color=black/KeyValuePutOp",
	}
	if !slices.Equal(seen, wantSeen) {
		t.Fatalf("watch saw %v, want %v", seen, wantSeen)
	}

	keys, err := kv.Keys(ctx)
	must(t, err, "keys")
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"app.color", "app.size"}) {
		t.Fatalf("keys %v", keys)
	}
}

// TestJetStreamRestartNoLoss restarts the broker twice in the middle of producing and consuming
// (graceful, then SIGKILL): every acknowledged message is still there and the durable consumer
// resumes where it was.
func TestJetStreamRestartNoLoss(t *testing.T) {
	reconnected := make(chan struct{}, 8)
	nc, js, ctx := jsConnect(t,
		nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.ReconnectJitter(0, 0),
		nats.ReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} }))
	u := unique()
	name := "RESTART_" + u
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"rs." + u}, Storage: jetstream.FileStorage})
	must(t, err, "create stream")
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "d", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second})
	must(t, err, "create consumer")

	publish := func(from, to int) {
		for i := from; i < to; i++ {
			ack, err := js.Publish(ctx, "rs."+u, []byte(fmt.Sprint(i)))
			must(t, err, "publish %d", i)
			if ack.Sequence != uint64(i+1) {
				t.Fatalf("publish %d got seq %d", i, ack.Sequence)
			}
		}
	}
	consume := func(from, to int) {
		for i := from; i < to; {
			batch, err := cons.Fetch(to-i, jetstream.FetchMaxWait(msgTimeout))
			must(t, err, "fetch")
			n := 0
			for m := range batch.Messages() {
				if string(m.Data()) != fmt.Sprint(i) {
					t.Fatalf("consumed %q, want %d (lost or duplicated across restart)", m.Data(), i)
				}
				must(t, m.DoubleAck(ctx), "ack %d", i)
				i++
				n++
			}
			if n == 0 {
				t.Fatalf("no messages fetched at %d: %v", i, batch.Error())
			}
		}
	}
	// After a crash: every message in [from, to) must arrive (no loss). With durable acks (Sluice)
	// they must arrive exactly once and in order; otherwise (nats-server's default sync may lose
	// recent consumer state) redeliveries of messages consumed before the crash are tolerated.
	exact := os.Getenv("NATS_JS_DURABLE_ACKS") == "1"
	consumeAfterCrash := func(from, to int) {
		if exact {
			consume(from, to)
			return
		}
		seen := map[int]bool{}
		deadline := time.Now().Add(restartTimeout)
		for len(seen) < to-from {
			if time.Now().After(deadline) {
				t.Fatalf("after the crash only %d of %d messages arrived (lost)", len(seen), to-from)
			}
			batch, err := cons.Fetch(to-from, jetstream.FetchMaxWait(msgTimeout))
			must(t, err, "fetch")
			for m := range batch.Messages() {
				var n int
				if _, err := fmt.Sscan(string(m.Data()), &n); err != nil || n >= to {
					t.Fatalf("unexpected message %q after crash", m.Data())
				}
				if n >= from {
					if seen[n] {
						t.Fatalf("message %d delivered twice after the crash", n)
					}
					seen[n] = true
				}
				must(t, m.DoubleAck(ctx), "ack %d", n)
			}
		}
	}
	restart := func(mode string) {
		requestRestart(t, env(t, "NATS_JS_CTL"), mode)
		waitChan(t, reconnected, reconnectTimeout, "reconnect after "+mode)
		// JetStream may need a moment after the restart: wait (bounded) until the stream answers.
		deadline := time.Now().Add(reconnectTimeout)
		for {
			if _, err := js.Stream(ctx, name); err == nil {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("stream not available after restart: %v", err)
			}
			time.Sleep(50 * time.Millisecond) // bounded by the deadline above
		}
	}

	publish(0, 100)
	consume(0, 40)
	restart("term")
	consume(40, 70)
	publish(100, 150)
	restart("kill")
	consumeAfterCrash(70, 150)

	info, err := cons.Info(ctx)
	must(t, err, "consumer info")
	if info.NumPending != 0 {
		t.Fatalf("consumer after restarts: %d messages still pending", info.NumPending)
	}
	if exact && (info.NumAckPending != 0 || info.AckFloor.Stream != 150) {
		t.Fatalf("consumer after restarts: ack_pending=%d ack_floor=%d, want 0 and 150", info.NumAckPending, info.AckFloor.Stream)
	}
	st, err := s.Info(ctx)
	must(t, err, "stream info")
	if st.State.Msgs != 150 || st.State.LastSeq != 150 {
		t.Fatalf("stream after restarts: msgs=%d last=%d, want 150", st.State.Msgs, st.State.LastSeq)
	}
	_ = nc
}
