// A raw TCP server on the host's 127.0.0.1 that answers HTTP requests with whatever is
// wrong, picked by the request path (`GET /status-000`): the upstream a proxy or relay must
// survive. `/good` answers properly, to check that the relay still works afterwards.
import { createServer, type Server, type Socket } from "node:net";

export const garbageModes = [
  "status-000",
  "status-999",
  "no-status-line",
  "header-overflow",
  "reason-control-char",
  "upgrade-101",
  "reset-mid-body",
  "reset-at-once",
  "slow-loris",
] as const;
export type GarbageMode = (typeof garbageModes)[number];

function answer(socket: Socket, mode: string): void {
  const send = (text: string): void => {
    socket.end(text);
  };
  switch (mode) {
    case "good":
      send("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
      return;
    case "status-000":
      send("HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nhi");
      return;
    case "status-999":
      send("HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nhi");
      return;
    case "no-status-line":
      send("this is not http at all\r\n\r\n");
      return;
    case "header-overflow":
      send(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(200_000)}\r\n\r\n`);
      return;
    case "reason-control-char":
      send("HTTP/1.1 200 O\u0001K\r\nContent-Length: 2\r\n\r\nhi");
      return;
    case "upgrade-101":
      send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: garbage\r\nConnection: Upgrade\r\n\r\n\u0000\u0001");
      return;
    case "reset-mid-body":
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"b".repeat(1000)}`);
      setTimeout(() => socket.resetAndDestroy(), 50);
      return;
    case "reset-at-once":
      socket.resetAndDestroy();
      return;
    case "slow-loris": {
      // One header byte every 300 ms: the head never completes within the client's patience.
      socket.write("HTTP/1.1 200 OK\r\nX-Slow: ");
      const timer = setInterval(() => socket.write("a"), 300);
      socket.on("close", () => clearInterval(timer));
      return;
    }
    default:
      send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  }
}

export interface GarbageUpstream {
  port: number;
  close(): Promise<void>;
}

export async function startGarbageUpstream(): Promise<GarbageUpstream> {
  const live = new Set<Socket>();
  const server: Server = createServer((socket) => {
    live.add(socket);
    socket.on("close", () => live.delete(socket));
    socket.on("error", () => {});
    let head = "";
    socket.on("data", (chunk) => {
      if (head.includes("\n")) return;
      head += chunk.toString("latin1");
      const mode = /^[A-Z]+ \/([a-z0-9-]+)/.exec(head)?.[1];
      if (head.includes("\n")) answer(socket, mode ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  };
}
