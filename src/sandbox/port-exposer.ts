// `Sandbox.exposePort(port)`, host side: a TCP listener on the host's 127.0.0.1 (ephemeral
// port) whose connections are piped to a UNIX socket. At the other end of that socket,
// `cl-forward unix:PATH=tcp:PORT` runs inside the sandbox's network namespace and connects
// to the server there, so a host browser can load a dev server that only exists inside.
import { createServer, connect as netConnect, type Socket } from "node:net";
import { closeServer, relaySockets, trackSockets } from "./socket-relay.ts";

export interface PortExposerOptions {
  unixPath: string;
}

export interface ExposedPort {
  host: "127.0.0.1";
  port: number;
  close(): Promise<void>;
}

export async function startPortExposer(options: PortExposerOptions): Promise<ExposedPort> {
  const server = createServer({ allowHalfOpen: true }, (client: Socket) => {
    const upstream = netConnect({ path: options.unixPath, allowHalfOpen: true });
    relaySockets(client, upstream);
  });
  const endLive = trackSockets(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("port exposer: no TCP address");
  return { host: "127.0.0.1", port: address.port, close: () => closeServer(server, endLive) };
}
