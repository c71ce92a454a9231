// A loopback TCP port that nothing listens on right now, for servers that cannot be told to
// pick one themselves (redis-server has no --port 0; a sandboxed server needs its port known).
import { createServer } from "node:net";

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
