package dev.sluice.clients;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/**
 * Broker-free checks of the suite's helpers. scripts/setup.d/20-clients.sh runs this class online
 * once, which makes surefire resolve its JUnit provider so later `mvn -o test` runs work offline.
 */
class SuiteHelpersTest {
  @Test
  void uniqueTokensAreSubjectSafeAndDistinct() {
    String a = Suite.unique();
    String b = Suite.unique();
    assertTrue(a.matches("[0-9a-f]{12}"), a);
    assertNotEquals(a, b);
  }

  @Test
  void missingEnvNamesTheVariable() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> Suite.env("SLUICE_SURELY_UNSET_VARIABLE"));
    assertTrue(e.getMessage().contains("SLUICE_SURELY_UNSET_VARIABLE"));
  }
}
