// The host half of a local sandbox's network policy, in one call: the egress proxy when
// `allowNet` names hosts, one bridge per `allowHostPorts` entry, and what the sandbox needs to
// use them — the `cl-forward` arguments to run inside (TCP ports on the sandbox's 127.0.0.1
// relayed to the sockets in the bind-mounted directory) and the proxy variables to set.
// With neither option there is nothing to start: the sandbox keeps loopback only.
import { join } from "node:path";
import { UserError } from "../util/index.ts";
import { startEgressProxy } from "./egress-proxy.ts";
import { startHostPortBridge } from "./host-port-bridge.ts";
import { parseNetRules } from "./net-rules.ts";
import type { NetEvent } from "./types.ts";

export interface SandboxNetworkOptions {
  /** Host directory for the sockets; the caller bind-mounts it read-only at `sandboxDir`. */
  hostDir: string;
  /** Where `hostDir` appears inside the sandbox. */
  sandboxDir?: string;
  allowNet?: string[];
  allowHostPorts?: number[];
  onEvent?: (event: NetEvent) => void;
  /** Port of the proxy on the sandbox's loopback (moved if `allowHostPorts` takes it). */
  proxyPort?: number;
  /** Injected by tests; defaults to the host's resolver. */
  resolve?: (host: string) => Promise<string[]>;
}

export interface SandboxNetwork {
  /** `cl-forward` arguments for inside the sandbox; empty when nothing is granted. */
  forwardArgs: string[];
  /** Variables to set inside the sandbox (proxy settings), empty without `allowNet`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const sandboxNetDir = "/run/closedloop/net";

/** A `--allow-host-port` value that is not a TCP port; says what is accepted. */
export class HostPortError extends UserError {
  override readonly name = "HostPortError";
}

export async function startSandboxNetwork(options: SandboxNetworkOptions): Promise<SandboxNetwork> {
  const allowNet = options.allowNet ?? [];
  const hostPorts = [...new Set(options.allowHostPorts ?? [])];
  parseNetRules(allowNet); // a bad rule is the user's error, reported before anything starts
  for (const port of hostPorts)
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new HostPortError(`allowHostPorts: ${port} is not a TCP port (use a number from 1 to 65535)`);

  const inside = options.sandboxDir ?? sandboxNetDir;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  };
  const forwardArgs: string[] = [];
  const env: Record<string, string> = {};
  try {
    if (allowNet.length > 0) {
      let proxyPort = options.proxyPort ?? 3128;
      while (hostPorts.includes(proxyPort)) proxyPort++;
      const proxy = await startEgressProxy({
        socketPath: join(options.hostDir, "proxy.sock"),
        allowNet,
        onEvent: options.onEvent,
        resolve: options.resolve,
      });
      closers.push(proxy.close);
      forwardArgs.push(`tcp:${proxyPort}=unix:${join(inside, "proxy.sock")}`);
      const url = `http://127.0.0.1:${proxyPort}`;
      // Both spellings: curl reads lower case only for http_proxy, most others read either.
      for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) env[name] = url;
      for (const name of ["NO_PROXY", "no_proxy"]) env[name] = "localhost,127.0.0.1,::1";
    }
    for (const port of hostPorts) {
      const socket = `host-${port}.sock`;
      const bridge = await startHostPortBridge({
        socketPath: join(options.hostDir, socket),
        port,
        onEvent: options.onEvent,
      });
      closers.push(bridge.close);
      forwardArgs.push(`tcp:${port}=unix:${join(inside, socket)}`);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { forwardArgs, env, close };
}
