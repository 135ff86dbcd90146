package dev.sluice.clients;

import static dev.sluice.clients.Suite.*;
import static org.junit.jupiter.api.Assertions.*;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Core NATS protocol behaviour through the official Java client (jnats). */
class CoreTest {

  private static Message next(Subscription sub) throws InterruptedException {
    Message m = sub.nextMessage(MSG_TIMEOUT);
    assertNotNull(m, "no message on " + sub.getSubject() + " within " + MSG_TIMEOUT);
    return m;
  }

  /** After a server round trip, anything sent before it has been delivered. */
  private static void expectNothing(Connection nc, Subscription sub) throws Exception {
    nc.flush(MSG_TIMEOUT);
    assertEquals(0, sub.getPendingMessageCount(), "unexpected message on " + sub.getSubject());
  }

  @Test
  void pubSub() throws Exception {
    try (Connection nc = connect(options(env("NATS_URL")))) {
      String subj = "core.pubsub." + unique();
      Subscription sub = nc.subscribe(subj);
      nc.flush(MSG_TIMEOUT);
      for (int i = 0; i < 20; i++) nc.publish(subj, bytes("msg-" + i));
      for (int i = 0; i < 20; i++) {
        Message m = next(sub);
        assertEquals(subj, m.getSubject());
        assertEquals("msg-" + i, str(m.getData()));
      }
      nc.publish(subj, new byte[0]);
      assertEquals(0, next(sub).getData().length);
      expectNothing(nc, sub);
    }
  }

  @Test
  void wildcards() throws Exception {
    try (Connection nc = connect(options(env("NATS_URL")))) {
      String u = unique();
      Subscription star = nc.subscribe("wc." + u + ".*.x");
      Subscription full = nc.subscribe("wc." + u + ".>");
      nc.flush(MSG_TIMEOUT);
      for (String s : List.of("a.x", "b.y", "a.b.x", "c.x")) nc.publish("wc." + u + "." + s, bytes(s));
      for (String want : List.of("a.x", "c.x")) assertEquals(want, str(next(star).getData()));
      for (String want : List.of("a.x", "b.y", "a.b.x", "c.x")) assertEquals(want, str(next(full).getData()));
      nc.publish("wc." + u, bytes("bare")); // '>' needs at least one more token
      expectNothing(nc, star);
      expectNothing(nc, full);
    }
  }

  @Test
  void queueGroups() throws Exception {
    try (Connection nc = connect(options(env("NATS_URL")))) {
      String subj = "core.queue." + unique();
      int total = 300;
      List<Subscription> members = new ArrayList<>();
      for (int i = 0; i < 3; i++) members.add(nc.subscribe(subj, "workers"));
      Subscription plain = nc.subscribe(subj);
      nc.flush(MSG_TIMEOUT);
      for (int i = 0; i < total; i++) nc.publish(subj, bytes(Integer.toString(i)));
      nc.flush(MSG_TIMEOUT);
      for (int i = 0; i < total; i++) next(plain);
      Map<String, Integer> seen = new HashMap<>();
      int busy = 0;
      for (Subscription m : members) {
        long n = m.getPendingMessageCount();
        if (n > 0) busy++;
        for (long j = 0; j < n; j++) seen.merge(str(next(m).getData()), 1, Integer::sum);
      }
      assertEquals(total, seen.size(), "distinct messages received by the queue group");
      seen.forEach((k, c) -> assertEquals(1, c, "message " + k + " delivered more than once"));
      assertTrue(busy >= 2, "only " + busy + " queue members received messages");
    }
  }

  @Test
  void requestReply() throws Exception {
    try (Connection nc = connect(options(env("NATS_URL")))) {
      String subj = "core.svc." + unique();
      Dispatcher d =
          nc.createDispatcher(m -> nc.publish(m.getReplyTo(), bytes(str(m.getData()).toUpperCase())));
      d.subscribe(subj);
      nc.flush(MSG_TIMEOUT);
      for (int i = 0; i < 10; i++) {
        Message reply = nc.request(subj, bytes("hello-" + i), MSG_TIMEOUT);
        assertNotNull(reply, "no reply to request " + i);
        assertEquals("HELLO-" + i, str(reply.getData()));
      }
    }
  }

  @Test
  void noResponders() throws Exception {
    try (Connection nc = connect(options(env("NATS_URL")).reportNoResponders())) {
      long start = System.nanoTime();
      CompletableFuture<Message> f = nc.request("core.nobody." + unique(), bytes("anyone?"));
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
      assertTrue(
          String.valueOf(e.getCause()).contains("503"), "want a 503 no-responders status, got " + e.getCause());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "503 should come before the timeout");
    }
  }

  @Test
  void headers() throws Exception {
    try (Connection nc = connect(options(env("NATS_URL")))) {
      String subj = "core.hdr." + unique();
      Subscription sub = nc.subscribe(subj);
      nc.flush(MSG_TIMEOUT);
      Headers h = new Headers().add("X-Trace-Id", "abc-123").add("X-Multi", "one", "two");
      nc.publish(NatsMessage.builder().subject(subj).headers(h).data(bytes("with headers")).build());
      Message m = next(sub);
      assertEquals("with headers", str(m.getData()));
      assertTrue(m.hasHeaders());
      assertEquals(List.of("abc-123"), m.getHeaders().get("X-Trace-Id"));
      assertEquals(List.of("one", "two"), m.getHeaders().get("X-Multi"));

      Dispatcher d =
          nc.createDispatcher(
              r ->
                  nc.publish(
                      NatsMessage.builder()
                          .subject(r.getReplyTo())
                          .headers(new Headers().add("X-Echo", r.getHeaders().getFirst("X-Ask")))
                          .data(bytes("ok"))
                          .build()));
      d.subscribe(subj + ".svc");
      nc.flush(MSG_TIMEOUT);
      Message resp =
          nc.request(
              NatsMessage.builder().subject(subj + ".svc").headers(new Headers().add("X-Ask", "ping")).build(),
              MSG_TIMEOUT);
      assertNotNull(resp, "no reply with headers");
      assertEquals("ping", resp.getHeaders().getFirst("X-Echo"));
    }
  }

  private static void roundTrip(Connection nc) throws Exception {
    String subj = "allowed.rt." + unique();
    Subscription sub = nc.subscribe(subj);
    nc.publish(subj, bytes("rt"));
    assertEquals("rt", str(next(sub).getData()));
  }

  private static void expectAuthFailure(io.nats.client.Options.Builder b) {
    // jnats reports the server's -ERR when its connect attempt ends; a short connect timeout keeps
    // the expected failures quick.
    Exception e =
        assertThrows(
            Exception.class, () -> connect(b.noReconnect().connectionTimeout(java.time.Duration.ofSeconds(2))).close());
    StringBuilder chain = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) chain.append(t).append(" | ");
    assertTrue(
        chain.toString().toLowerCase().contains("authorization violation"),
        "want an authorization violation, got " + chain);
  }

  @Test
  void authUserPassword() throws Exception {
    String url = env("NATS_USERS_URL");
    try (Connection nc = connect(options(url).userInfo(env("NATS_USER"), env("NATS_PASSWORD")))) {
      roundTrip(nc);
    }
    try (Connection nc =
        connect(options(url).userInfo(env("NATS_LIMITED_USER"), env("NATS_LIMITED_PASSWORD")))) {
      roundTrip(nc);
    }
    expectAuthFailure(options(url).userInfo(env("NATS_USER"), "wrong-password"));
    expectAuthFailure(options(url).userInfo("nobody", "x"));
    expectAuthFailure(options(url));
  }

  @Test
  void authToken() throws Exception {
    String url = env("NATS_TOKEN_URL");
    try (Connection nc = connect(options(url).token(env("NATS_TOKEN")))) {
      roundTrip(nc);
    }
    expectAuthFailure(options(url).token("not-the-token"));
    expectAuthFailure(options(url));
  }

  @Test
  void permissionViolation() throws Exception {
    String url = env("NATS_USERS_URL");
    BlockingQueue<String> errors = new LinkedBlockingQueue<>();
    ErrorListener listener =
        new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            errors.add(error);
          }
        };
    try (Connection limited =
            connect(
                options(url)
                    .userInfo(env("NATS_LIMITED_USER"), env("NATS_LIMITED_PASSWORD"))
                    .errorListener(listener));
        Connection admin = connect(options(url).userInfo(env("NATS_USER"), env("NATS_PASSWORD")))) {
      String u = unique();
      Subscription watch = admin.subscribe("*." + u);
      admin.flush(MSG_TIMEOUT);

      limited.publish("denied." + u, bytes("forbidden"));
      limited.publish("allowed." + u, bytes("fine"));
      limited.flush(MSG_TIMEOUT);
      String err = errors.poll(MSG_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(err, "no publish permission error reported");
      assertTrue(
          err.toLowerCase().contains("permissions violation for publish to \"denied." + u + "\""), err);
      assertEquals("allowed." + u, next(watch).getSubject(), "the denied publish (sent first) was delivered");

      Subscription bad = limited.subscribe("denied.sub." + u);
      limited.flush(MSG_TIMEOUT);
      err = errors.poll(MSG_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertNotNull(err, "no subscribe permission error reported");
      assertTrue(
          err.toLowerCase().contains("permissions violation for subscription to \"denied.sub." + u + "\""), err);
      admin.publish("denied.sub." + u, bytes("x"));
      admin.flush(MSG_TIMEOUT);
      limited.flush(MSG_TIMEOUT);
      assertEquals(0, bad.getPendingMessageCount());
      assertEquals(Connection.Status.CONNECTED, limited.getStatus());
      roundTrip(limited);
    }
  }

  @Test
  void tls() throws Exception {
    String url = env("NATS_TLS_URL");
    try (Connection nc = connect(options(url).sslContext(sslContext(true)))) {
      String subj = "tls." + unique();
      Subscription sub = nc.subscribe(subj);
      nc.publish(subj, bytes("secret"));
      assertEquals("secret", str(next(sub).getData()));
    }
    // Client certificates are required by the server.
    assertThrows(
        Exception.class,
        () ->
            connect(
                    options(url)
                        .sslContext(sslContext(false))
                        .noReconnect()
                        .connectionTimeout(java.time.Duration.ofSeconds(2)))
                .close());
  }

  @Test
  void reconnectAfterRestart() throws Exception {
    String url = env("NATS_RESTART_URL");
    BlockingQueue<ConnectionListener.Events> events = new LinkedBlockingQueue<>();
    try (Connection nc =
        connect(
            options(url)
                .maxReconnects(-1)
                .reconnectWait(java.time.Duration.ofMillis(100))
                .connectionListener((conn, type) -> events.add(type)))) {
      String subj = "reconnect." + unique();
      Subscription sub = nc.subscribe(subj);
      Dispatcher d = nc.createDispatcher(m -> nc.publish(m.getReplyTo(), bytes("pong")));
      d.subscribe(subj + ".svc");
      nc.publish(subj, bytes("before"));
      assertEquals("before", str(next(sub).getData()));

      requestRestart(env("NATS_RESTART_CTL"), "term");
      waitFor(events, ConnectionListener.Events.DISCONNECTED);
      waitFor(events, ConnectionListener.Events.RECONNECTED);

      nc.publish(subj, bytes("after"));
      assertEquals("after", str(next(sub).getData()));
      Message reply = nc.request(subj + ".svc", bytes("ping"), MSG_TIMEOUT);
      assertNotNull(reply, "no reply after reconnect");
      assertEquals("pong", str(reply.getData()));
    }
  }

  private static void waitFor(BlockingQueue<ConnectionListener.Events> q, ConnectionListener.Events want)
      throws InterruptedException {
    long deadline = System.nanoTime() + RECONNECT_TIMEOUT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      ConnectionListener.Events e = q.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (e == null) fail("no " + want + " event within " + RECONNECT_TIMEOUT);
      if (e == want) return;
    }
  }
}
