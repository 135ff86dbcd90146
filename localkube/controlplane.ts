/**
 * The control-plane processes of one cluster: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler, started detached with their flags (see shared/docs/localkube.md section 3).
 */
import { join } from "node:path";
import type { Pki } from "./pki.js";
import { binary } from "./paths.js";

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

export interface ComponentSpec {
  name: "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler";
  cmd: string;
  args: string[];
}

export interface ControlPlaneOptions {
  stateDir: string;
  pki: Pki;
  ports: Ports;
  advertiseAddress: string;
  serviceCidr: string;
  kubeconfigPath: string;
  /** KCM's node-monitor-grace-period: how long a silent node stays Ready (default 50 s upstream). */
  nodeMonitorGracePeriod_s: number;
}

export function componentSpecs(o: ControlPlaneOptions): ComponentSpec[] {
  const etcdUrl = `http://127.0.0.1:${o.ports.etcdClient}`;
  const peerUrl = `http://127.0.0.1:${o.ports.etcdPeer}`;
  const kc = o.kubeconfigPath;
  return [
    {
      name: "etcd",
      cmd: binary("etcd"),
      args: [
        "--name=lk",
        `--data-dir=${join(o.stateDir, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=lk=${peerUrl}`,
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
    },
    {
      name: "kube-apiserver",
      cmd: binary("kube-apiserver"),
      args: [
        `--etcd-servers=${etcdUrl}`,
        `--secure-port=${o.ports.apiserver}`,
        "--bind-address=0.0.0.0",
        `--advertise-address=${o.advertiseAddress}`,
        `--tls-cert-file=${o.pki.apiserverCert}`,
        `--tls-private-key-file=${o.pki.apiserverKey}`,
        `--client-ca-file=${o.pki.caCert}`,
        `--token-auth-file=${o.pki.tokensCsv}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${o.pki.saPub}`,
        `--service-account-signing-key-file=${o.pki.saKey}`,
        `--service-cluster-ip-range=${o.serviceCidr}`,
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        `--kubelet-certificate-authority=${o.pki.caCert}`,
        `--kubelet-client-certificate=${o.pki.apiserverCert}`,
        `--kubelet-client-key=${o.pki.apiserverKey}`,
        "--kubelet-preferred-address-types=InternalIP",
        "--endpoint-reconciler-type=lease",
        "--profiling=false",
        "--v=1",
      ],
    },
    {
      name: "kube-controller-manager",
      cmd: binary("kube-controller-manager"),
      args: [
        `--kubeconfig=${kc}`,
        `--authentication-kubeconfig=${kc}`,
        `--authorization-kubeconfig=${kc}`,
        "--leader-elect=false",
        "--controllers=*",
        `--service-account-private-key-file=${o.pki.saKey}`,
        `--root-ca-file=${o.pki.caCert}`,
        "--use-service-account-credentials=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${o.ports.controllerManager}`,
        `--node-monitor-grace-period=${o.nodeMonitorGracePeriod_s}s`,
        "--node-monitor-period=2s",
        "--profiling=false",
        "--v=1",
      ],
    },
    {
      name: "kube-scheduler",
      cmd: binary("kube-scheduler"),
      args: [
        `--kubeconfig=${kc}`,
        `--authentication-kubeconfig=${kc}`,
        `--authorization-kubeconfig=${kc}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${o.ports.scheduler}`,
        "--profiling=false",
        "--v=1",
      ],
    },
  ];
}
