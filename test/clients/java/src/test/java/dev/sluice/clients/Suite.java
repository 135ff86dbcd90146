package dev.sluice.clients;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Shared helpers: env vars from the vitest wrapper, connections, TLS, restart requests. */
final class Suite {
  static final Duration MSG_TIMEOUT = Duration.ofSeconds(5);
  static final Duration RECONNECT_TIMEOUT = Duration.ofSeconds(30);
  static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);
  private static final SecureRandom RANDOM = new SecureRandom();

  private Suite() {}

  static String env(String name) {
    String v = System.getenv(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalStateException(
          "env " + name + " is not set: run this suite through test/clients/java.test.ts");
    }
    return v;
  }

  static String unique() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  static Options.Builder options(String url) {
    return new Options.Builder()
        .server(url)
        .connectionName("sluice-java-suite")
        .connectionTimeout(Duration.ofSeconds(5));
  }

  static Connection connect(Options.Builder b) throws Exception {
    return Nats.connect(b.build());
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** An SSLContext trusting the test CA, optionally presenting the test client certificate. */
  static SSLContext sslContext(boolean withClientCert) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry(
        "ca", cf.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(Path.of(env("NATS_TLS_CA"))))));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (withClientCert) {
      Certificate cert =
          cf.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(Path.of(env("NATS_TLS_CERT")))));
      PrivateKey key = readPkcs8EcKey(Path.of(env("NATS_TLS_KEY")));
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      char[] pw = "unused".toCharArray();
      ks.setKeyEntry("client", key, pw, new Certificate[] {cert});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
    return ctx;
  }

  private static PrivateKey readPkcs8EcKey(Path pem) throws Exception {
    String text = Files.readString(pem);
    String b64 =
        text.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }

  /** Ask the wrapper to restart the broker (protocol in test/clients/lib/restart-controller.ts). */
  static void requestRestart(String ctlDir, String mode) throws Exception {
    String id = unique();
    Path tmp = Path.of(ctlDir, "tmp-" + id);
    Files.writeString(tmp, mode);
    Files.move(tmp, Path.of(ctlDir, "request-" + id));
    Path done = Path.of(ctlDir, "done-" + id);
    long deadline = System.nanoTime() + RESTART_TIMEOUT.toNanos();
    while (!Files.exists(done)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("broker was not restarted within " + RESTART_TIMEOUT);
      }
      Thread.sleep(20); // polling a file the wrapper writes; bounded by the deadline
    }
    String result = Files.readString(done).trim();
    if (!result.equals("ok")) throw new AssertionError("broker restart failed: " + result);
  }
}
