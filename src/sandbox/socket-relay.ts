// Shared plumbing for the egress proxy, the host-port bridge and the port exposer: relay two
// sockets both ways (passing a half-close on, tearing both down on any error), and listen on
// a UNIX socket that the unprivileged sandbox uid may connect to.
import { chmod, rm } from "node:fs/promises";
import type { Server, Socket } from "node:net";

/**
 * Pipes a to b and b to a. An end on one side becomes a write-shutdown on the other, so
 * half-closed protocols work; an error or reset on either side destroys both. Both sockets
 * must have been created with `allowHalfOpen: true`.
 */
export function relaySockets(a: Socket, b: Socket): void {
  const teardown = () => {
    a.destroy();
    b.destroy();
  };
  // When one side closes, the other may still be flushing its last bytes: let it finish if
  // it has nothing more to read (it closes on its own), otherwise nothing can carry on.
  const afterClose = (other: Socket) => () => {
    if (other.readableEnded) other.end();
    else other.destroy();
  };
  a.on("error", teardown);
  b.on("error", teardown);
  a.on("close", afterClose(b));
  b.on("close", afterClose(a));
  a.pipe(b);
  b.pipe(a);
}

/** Tracks live sockets so `close()` can end them instead of waiting for the peers. */
export function trackSockets(server: Server): () => void {
  const live = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    live.add(socket);
    socket.on("close", () => live.delete(socket));
  });
  return () => {
    for (const socket of live) socket.destroy();
  };
}

/**
 * Listens on a UNIX socket path (removing a stale one first) and makes it connectable by
 * anyone who can reach the path: inside the sandbox code runs as a different, unprivileged
 * uid, and the directory holding the socket is what limits who can see it.
 */
export async function listenUnix(server: Server, socketPath: string, mode = 0o666): Promise<void> {
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, mode);
}

/** Stops accepting, ends live connections and removes the socket file. Safe to call twice. */
export function closeServer(server: Server, endLive: () => void, socketPath?: string): Promise<void> {
  return new Promise<void>((resolve) => {
    endLive();
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  }).then(async () => {
    if (socketPath) await rm(socketPath, { force: true });
  });
}
