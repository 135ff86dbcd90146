/**
 * The kind backend's pure parts by value, and the E2E_KIND=1 wiring end to end: on a machine with
 * no container runtime (like CI here), asking for kind must fail the e2e run with a message that
 * says why and what to do, not skip silently or hang. With Docker present, `E2E_KIND=1 npm run
 * test:e2e` itself is the test (see localkube/README.md).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { versions } from "../../../localkube/paths.js";
import { e2eBackend } from "../backend.js";
import { isKindVersion, KIND_NODE_IMAGE, KIND_VERSION, kindArgs, kindClusterName, kindConfigYaml, parseForwardedPort, sluiceImages } from "./config.js";
import { requireContainerRuntime } from "./kind.js";

const root = join(import.meta.dirname, "..", "..", "..");

describe("kind backend: pure parts", () => {
  it("picks the backend from E2E_KIND and refuses values it does not know", () => {
    expect(e2eBackend({})).toBe("localkube");
    expect(e2eBackend({ E2E_KIND: "" })).toBe("localkube");
    expect(e2eBackend({ E2E_KIND: "0" })).toBe("localkube");
    expect(e2eBackend({ E2E_KIND: "1" })).toBe("kind");
    expect(() => e2eBackend({ E2E_KIND: "yes" })).toThrow(/E2E_KIND must be 1 .* not "yes"/);
  });

  it("writes a kind config with one control plane and N-1 workers, within limits", () => {
    expect(parse(kindConfigYaml(3))).toEqual({
      kind: "Cluster",
      apiVersion: "kind.x-k8s.io/v1alpha4",
      nodes: [{ role: "control-plane" }, { role: "worker" }, { role: "worker" }],
    });
    expect(parse(kindConfigYaml(1))).toMatchObject({ nodes: [{ role: "control-plane" }] });
    for (const bad of [0, 6, 2.5]) expect(() => kindConfigYaml(bad)).toThrow(/nodes must be 1\.\.5/);
  });

  it("pins a node image of the same Kubernetes minor as localkube", () => {
    const minor = (v: string) => /^v1\.(\d+)\./.exec(v)?.[1];
    const image = /^kindest\/node:(v[0-9.]+)@sha256:[0-9a-f]{64}$/.exec(KIND_NODE_IMAGE);
    expect(image?.[1]).toBeDefined();
    expect(minor(image![1]!)).toBe(minor(versions().kube));
  });

  it("names clusters as kind and Docker accept them", () => {
    expect(kindClusterName("op", 4242, 0)).toBe("sluice-op-4242-0");
    const long = kindClusterName("A_Very_Long_Prefix_That_Goes_On_And_On", 123456, 7);
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });

  it("builds the images the chart and the operator ask for by default", () => {
    const chart = parse(readFileSync(join(root, "charts", "sluice", "Chart.yaml"), "utf8")) as { appVersion: string };
    const values = parse(readFileSync(join(root, "charts", "sluice", "values.yaml"), "utf8")) as { image: { repository: string } };
    const images = sluiceImages(root);
    expect(images[0]).toBe(`${values.image.repository}:${chart.appVersion}`);
    expect(images[1]).toMatch(/^sluice\/broker:\d+\.\d+\.\d+$/);
  });

  it("builds kind command lines that pin the node image and the kubeconfig", () => {
    expect(kindArgs.create("c", "/t/kind.yaml", "/t/kc")).toEqual([
      "create", "cluster", "--name", "c", "--image", KIND_NODE_IMAGE, "--config", "/t/kind.yaml", "--kubeconfig", "/t/kc", "--wait", "180s",
    ]);
    expect(kindArgs.load("c", "sluice/broker:0.1.0")).toEqual(["load", "docker-image", "sluice/broker:0.1.0", "--name", "c"]);
    expect(kindArgs.delete("c", "/t/kc")).toEqual(["delete", "cluster", "--name", "c", "--kubeconfig", "/t/kc"]);
  });

  it("recognises its kind version and reads kubectl port-forward output", () => {
    expect(isKindVersion(`kind ${KIND_VERSION} go1.24.6 linux/amd64`)).toBe(true);
    expect(isKindVersion("kind v0.30.01 go1.24.6 linux/amd64")).toBe(false);
    expect(isKindVersion("kind v0.29.0 go1.24.6 linux/amd64")).toBe(false);
    expect(parseForwardedPort("Forwarding from 127.0.0.1:41234 -> 4222\n")).toBe(41234);
    expect(parseForwardedPort("Forwarding from 127.0.0.1:41")).toBeUndefined(); // a line still arriving
    expect(parseForwardedPort("Forwarding from [::1]:41234 -> 4222\n")).toBeUndefined();
    expect(parseForwardedPort("error: unable to forward port\n")).toBeUndefined();
    expect(parseForwardedPort("Forwarding from 127.0.0.1:99999 -> 4222\n")).toBeUndefined();
  });
});

const runtimePresent = await requireContainerRuntime().then(
  () => true,
  () => false,
);

describe.skipIf(runtimePresent)("E2E_KIND=1 on a machine without a container runtime", () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-nodocker-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("fails the backend-neutral e2e suite with the reason and the way out", async () => {
    const env = { ...process.env, E2E_KIND: "1", DOCKER_HOST: `unix://${join(dir, "docker.sock")}` };
    const child = spawn("npx", ["vitest", "run", "test/e2e/operator.test.ts", "--reporter=default"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => {
      if (output.length < 1024 * 1024) output += d.toString("utf8");
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/E2E_KIND=1 runs the e2e suites on kind, which needs a Docker engine, but testcontainers found no container runtime/);
    expect(output).toMatch(/unset E2E_KIND to run them on localkube/);
    // The no-runtime check comes first: no kind install, no image build, no cluster.
    expect(output).not.toMatch(/\[e2e kind\] (installing|building|creating)/);
  }, 120_000);
});
