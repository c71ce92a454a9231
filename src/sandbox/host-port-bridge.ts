// `allowHostPorts: [5432]`: one chosen TCP port on the host's loopback, made reachable from
// inside the sandbox. The bridge listens on a UNIX socket (bind-mounted into the sandbox,
// where a forwarder offers it as 127.0.0.1:5432) and relays every connection to exactly
// that host port. There is no way to name another port through it: the destination is
// fixed here, not read from the connection. It relays bytes only, so whatever the host
// service answers cannot trip it; errors on either side end that one connection.
import { createServer, connect as netConnect, type Socket } from "node:net";
import { closeServer, listenUnix, relaySockets, trackSockets } from "./socket-relay.ts";
import type { NetEvent } from "./types.ts";

export interface HostPortBridgeOptions {
  socketPath: string;
  port: number;
  onEvent?: (event: NetEvent) => void;
}

export interface HostPortBridge {
  socketPath: string;
  port: number;
  close(): Promise<void>;
}

export async function startHostPortBridge(options: HostPortBridgeOptions): Promise<HostPortBridge> {
  const { socketPath, port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`startHostPortBridge: port must be 1–65535, got ${port}`);
  const server = createServer({ allowHalfOpen: true }, (client: Socket) => {
    try {
      options.onEvent?.({
        kind: "host-port",
        host: "127.0.0.1",
        port,
        decision: "allowed",
        rule: "allowHostPorts",
        at: Date.now(),
      });
    } catch {
      // A listener's bug must not take the bridge (and the host process) down with it.
    }
    const upstream = netConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
    relaySockets(client, upstream);
  });
  const endLive = trackSockets(server);
  await listenUnix(server, socketPath, 0o666);
  return { socketPath, port, close: () => closeServer(server, endLive, socketPath) };
}
