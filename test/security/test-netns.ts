// An "outside host" the battery owns: a network namespace joined to the host by a veth
// pair, with addresses in 198.18.0.0/15 (the benchmarking range, never routed on the
// internet), and a tiny TCP server inside it that reports every request it gets. No
// attack ever targets a real outside address. Leftovers of dead runs are swept first.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export interface TestNetns {
  readonly name: string;
  /** Address of the outside host, reachable from the host itself. */
  readonly address: string;
  readonly port: number;
  /** Reads requests that arrived since the last call (only for an attached outside host). */
  poll?(): void;
  dispose(): Promise<void>;
}

/**
 * The outside host as made by root for an unprivileged battery run (outside-host.ts):
 * `CLSEC_OUTSIDE=name,address,port,logfile`, the log holding one request line per line.
 */
export function attachTestNetns(spec: string, onRequest: (line: string) => void): TestNetns {
  const [name, address, port, log] = spec.split(",");
  if (!name || !address || !port || !log)
    throw new Error(`CLSEC_OUTSIDE wants name,address,port,logfile: ${spec}`);
  let seen = 0;
  const poll = () => {
    let text: string;
    try {
      text = readFileSync(log, "utf8");
    } catch {
      return;
    }
    const lines = text.split("\n").slice(0, -1);
    for (const line of lines.slice(seen)) onRequest(line);
    seen = lines.length;
  };
  poll();
  return { name, address, port: Number(port), poll, dispose: async () => {} };
}

const serverScript = `
const net = require("net");
net.createServer((s) => {
  s.on("data", (d) => { console.log(d.toString("latin1").split("\\r\\n")[0]); s.end("HTTP/1.0 200 OK\\r\\n\\r\\noutside-host\\n"); });
  s.on("error", () => {});
}).listen(8080, "0.0.0.0", () => console.log("ready"));
// Dies with the battery even when the battery is killed before its cleanup runs.
setInterval(() => { try { process.kill(Number(process.env.CLSEC_PARENT), 0); } catch { process.exit(0); } }, 500);
`;

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr.trim() || r.error?.message}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, and someone else's (an unprivileged run sees root's battery this way).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes namespaces (and their veth peers) left by battery runs whose process is gone. */
function sweepLeftovers(): void {
  const r = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  for (const line of r.stdout?.split("\n") ?? []) {
    const m = /^cl-sec-(\d+)\b/.exec(line);
    if (!m || isAlive(Number(m[1]))) continue;
    spawnSync("ip", ["link", "del", `clsh${m[1]}`]);
    spawnSync("ip", ["netns", "del", `cl-sec-${m[1]}`]);
  }
}

export async function createTestNetns(pid: number, onRequest: (line: string) => void): Promise<TestNetns> {
  sweepLeftovers();
  const name = `cl-sec-${pid}`;
  const hostIf = `clsh${pid}`;
  const nsIf = `clsn${pid}`;
  // A /30 per run inside 198.18.0.0/15, picked from the pid so parallel runs do not collide.
  const idx = pid % 32768;
  const base = `198.${18 + (idx >> 14)}.${(idx >> 6) & 255}`;
  const last = (idx & 63) * 4;
  const hostAddr = `${base}.${last + 1}`;
  const nsAddr = `${base}.${last + 2}`;
  let server: ChildProcess | undefined;
  const dispose = async () => {
    server?.kill("SIGKILL");
    spawnSync("ip", ["link", "del", hostIf]);
    spawnSync("ip", ["netns", "del", name]);
  };
  try {
    ip("netns", "add", name);
    ip("link", "add", hostIf, "type", "veth", "peer", "name", nsIf);
    ip("link", "set", nsIf, "netns", name);
    ip("addr", "add", `${hostAddr}/30`, "dev", hostIf);
    ip("link", "set", hostIf, "up");
    ip("netns", "exec", name, "ip", "addr", "add", `${nsAddr}/30`, "dev", nsIf);
    ip("netns", "exec", name, "ip", "link", "set", nsIf, "up");
    ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
    const child = spawn("ip", ["netns", "exec", name, process.execPath, "-e", serverScript], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, CLSEC_PARENT: String(process.pid) },
    });
    server = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("outside-host server did not start")), 5000);
      child.once("exit", (code) => reject(new Error(`outside-host server exited (${code})`)));
      createInterface({ input: child.stdout! }).on("line", (line) => {
        if (line === "ready") {
          clearTimeout(timer);
          resolve();
        } else onRequest(line);
      });
    });
  } catch (error) {
    await dispose();
    throw error;
  }
  return { name, address: nsAddr, port: 8080, dispose };
}
