// The host side of the escape battery: everything an attack could reach if it got out.
// Planted secrets (a file in /root, one in a temp dir, an env var, a fake ~/.ssh key),
// servers on the host's loopback (TCP, UDP "DNS", a unix socket, an abstract socket),
// an outside host in a network namespace made here, and the workspace the sandboxes see
// (a git repo with the attack payloads compiled into it and some planted symlinks and
// hardlinks). Servers record every token they receive, so "did it get through" is
// decided on the host, not by what the attack claims.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import type { Server as HttpServer } from "node:http";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { attachTestNetns, createTestNetns, type TestNetns } from "./test-netns.ts";

const fixturesDir = new URL("./fixtures/", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

export interface HostFixture {
  /** Unique per run; every in-sandbox payload carries it in its argv so strays can be found. */
  readonly marker: string;
  readonly root: string;
  readonly workspace: string;
  /** Workspace-relative paths of the compiled payloads. */
  readonly probe: string;
  readonly bomb: string;
  readonly forge: string;
  readonly hostDir: string;
  readonly secretToken: string;
  readonly secretFile: string;
  readonly rootSecretFile: string;
  readonly envSecretName: string;
  readonly fakeHome: string;
  /** HOME as it was before the fixture replaced it (where real toolchains live). */
  readonly realHome: string | undefined;
  readonly fakeKeyFile: string;
  /** Host file that a planted hardlink in the workspace shares its inode with. */
  readonly hardlinkTarget: string;
  /** Host dir that the planted `outdir` symlink in the workspace points to. */
  readonly symlinkTargetDir: string;
  readonly ports: { allowed: number; forbidden: number; ipv6: number; dns: number };
  readonly unixSocket: string;
  readonly abstractName: string;
  readonly netns: TestNetns;
  /** Host name (from /etc/hosts) that resolves to loopback, for the proxy-rebinding attack. */
  readonly loopbackName: string;
  /** Every token any host-side server received, as `server:token`. */
  readonly hits: string[];
  sawToken(token: string): string[];
  /** Paths that must never exist; an attack that creates one escaped. */
  canaries(id: string): string[];
  /** Puts planted files back as they were after an attack that got through changed them. */
  restore(attackId: string, workspaceChanged: boolean): void;
  dispose(): Promise<void>;
}

function compilePayloads(outDir: string): void {
  for (const name of ["probe", "bomb", "forge"]) {
    const r = spawnSync("gcc", ["-O1", "-static", "-o", join(outDir, name), join(fixturesDir, `${name}.c`)], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`gcc failed for ${name}.c: ${r.stderr || r.error?.message}`);
  }
}

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", ["-c", "user.name=battery", "-c", "user.email=battery@invalid", ...args], {
    cwd,
    stdio: "ignore",
  });
}

function createWorkspace(ws: string, hostDir: string, secretFile: string, hardlinkTarget: string): void {
  mkdirSync(join(ws, "src"), { recursive: true });
  writeFileSync(join(ws, "README.md"), "# a project under attack\n");
  writeFileSync(join(ws, "src", "main.js"), "console.log('hello');\n");
  mkdirSync(join(ws, ".clsec"));
  compilePayloads(join(ws, ".clsec"));
  git(ws, "init", "-q", "-b", "main");
  git(ws, "add", "-A");
  git(ws, "commit", "-q", "-m", "baseline");
  // Planted after the commit: a user's tree may contain links that point out of it.
  symlinkSync(secretFile, join(ws, "secret-link"));
  symlinkSync(join(hostDir, "target-dir"), join(ws, "outdir"));
  linkSync(hardlinkTarget, join(ws, "hardlinked.txt"));
}

function recordServer(hits: string[], name: string, server: NetServer): void {
  server.on("connection", (socket) => {
    socket.on("data", (d) => {
      hits.push(`${name}:${d.toString("latin1").slice(0, 200)}`);
      socket.end("HTTP/1.0 200 OK\r\n\r\nhost-secret-service\n");
    });
    socket.on("error", () => {});
  });
}

function listen(server: NetServer | HttpServer, ...args: unknown[]): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      const addr = server.address();
      resolve(typeof addr === "object" && addr ? addr.port : 0);
    });
  });
}

function resolvesToLoopback(name: string): boolean {
  const r = spawnSync("getent", ["hosts", name], { encoding: "utf8" });
  return r.status === 0 && /^127\./.test(r.stdout.trim());
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

/** Removes what battery runs that died before their cleanup left in /root, /tmp, /etc, /dev/shm. */
function sweepLeftovers(): void {
  for (const dir of ["/root", homedir(), "/tmp", "/etc", "/dev/shm"]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^cl-sec-(?:clsec)?(\d+)[x-]/.exec(name);
      if (!m || isAlive(Number(m[1]))) continue;
      try {
        rmSync(join(dir, name), { recursive: true, force: true });
      } catch {
        // Another user's leftovers are theirs to sweep.
      }
    }
  }
}

export async function createHostFixture(): Promise<HostFixture> {
  sweepLeftovers();
  const marker = `clsec${process.pid}x${randomBytes(3).toString("hex")}`;
  const root = mkdtempSync(`/tmp/cl-sec-${process.pid}-`);
  const hostDir = join(root, "host");
  const workspace = join(root, "ws");
  const secretToken = `SECRET-${randomBytes(8).toString("hex")}`;
  const secretFile = join(hostDir, "secret.txt");
  // "A secret in the home of the user running closedloop": /root as root, the user's own home otherwise.
  const rootSecretFile = join(isRoot ? "/root" : homedir(), `cl-sec-${marker}-secret.txt`);
  const fakeHome = join(hostDir, "home");
  const fakeKeyFile = join(fakeHome, ".ssh", "id_ed25519");
  const hardlinkTarget = join(hostDir, "hardlink-target.txt");
  const symlinkTargetDir = join(hostDir, "target-dir");
  const envSecretName = "CLSEC_API_KEY";
  mkdirSync(join(fakeHome, ".ssh"), { recursive: true });
  mkdirSync(symlinkTargetDir);
  writeFileSync(secretFile, `${secretToken}\n`, { mode: 0o600 });
  writeFileSync(rootSecretFile, `${secretToken}\n`, { mode: 0o600 });
  writeFileSync(fakeKeyFile, `-----BEGIN OPENSSH PRIVATE KEY-----\nfake-${secretToken}\n`, { mode: 0o600 });
  writeFileSync(hardlinkTarget, "host-owned content\n", { mode: 0o644 });
  chmodSync(hostDir, 0o755);
  createWorkspace(workspace, hostDir, secretFile, hardlinkTarget);

  const savedHome = process.env.HOME;
  const savedSecret = process.env[envSecretName];
  // A leaky backend passes the host's environment (and HOME) through; make both worth stealing.
  process.env[envSecretName] = secretToken;
  process.env.HOME = fakeHome;

  const hits: string[] = [];
  const servers: (NetServer | HttpServer)[] = [];
  const mkTcp = (name: string) => {
    const s = createNetServer();
    recordServer(hits, name, s);
    servers.push(s);
    return s;
  };
  const allowed = await listen(mkTcp("allowed"), 0, "127.0.0.1");
  const forbidden = await listen(mkTcp("forbidden"), 0, "127.0.0.1");
  const ipv6 = await listen(mkTcp("ipv6"), 0, "::1");
  const unixSocket = join(hostDir, "agent.sock");
  await listen(mkTcp("unix"), unixSocket);
  chmodSync(unixSocket, 0o777);
  const abstractName = `cl-sec-${marker}`;
  await listen(mkTcp("abstract"), `\0${abstractName}`);

  const dns = createSocket("udp4");
  dns.on("message", (msg, rinfo) => {
    hits.push(`dns:${msg.toString("latin1")}`);
    // Echo the query back with the "response" bit set: enough for the probe to see a reply.
    const reply = Buffer.from(msg);
    if (reply.length > 2) reply[2] = (reply[2] ?? 0) | 0x80;
    dns.send(reply, rinfo.port, rinfo.address);
  });
  const dnsPort = await new Promise<number>((resolve) =>
    dns.bind(0, "127.0.0.1", () => resolve(dns.address().port)),
  );

  let netns: TestNetns;
  try {
    // Making a network namespace and a veth pair needs root: an unprivileged run gets the
    // outside host that root made for it (scripts/security-as-unprivileged.sh).
    const attached = isRoot ? undefined : process.env.CLSEC_OUTSIDE;
    netns = attached
      ? attachTestNetns(attached, (line) => hits.push(`outside:${line}`))
      : await createTestNetns(process.pid, (line) => hits.push(`outside:${line}`));
  } catch (error) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    dns.close();
    throw error;
  }
  const name = hostname();
  const loopbackName = resolvesToLoopback(name) ? name : "localhost";

  let disposed = false;
  // If the run dies without dispose(), at least the planted files and the netns go.
  const onExit = () => {
    rmSync(rootSecretFile, { force: true });
    rmSync(root, { recursive: true, force: true });
    spawnSync("ip", ["link", "del", `clsh${process.pid}`]);
    spawnSync("ip", ["netns", "del", netns.name]);
  };
  process.once("exit", onExit);
  const canaries = (id: string) => [
    `/etc/cl-sec-${marker}-${id}`,
    `/tmp/cl-sec-${marker}-${id}`,
    join(isRoot ? "/root" : homedir(), `cl-sec-${marker}-${id}`),
    `/dev/shm/cl-sec-${marker}-${id}`,
    join(root, `pwned-${id}`),
    join(symlinkTargetDir, `pwned-${id}`),
    join(fakeHome, `pwned-${id}`),
  ];
  return {
    marker,
    root,
    workspace,
    probe: "./.clsec/probe",
    bomb: "./.clsec/bomb",
    forge: "./.clsec/forge",
    hostDir,
    secretToken,
    secretFile,
    rootSecretFile,
    envSecretName,
    fakeHome,
    realHome: savedHome,
    fakeKeyFile,
    hardlinkTarget,
    symlinkTargetDir,
    ports: { allowed, forbidden, ipv6, dns: dnsPort },
    unixSocket,
    abstractName,
    netns,
    loopbackName,
    hits,
    sawToken: (token) => {
      netns.poll?.();
      return hits.filter((h) => h.includes(token));
    },
    canaries,
    restore(attackId, workspaceChanged) {
      writeFileSync(secretFile, `${secretToken}\n`);
      writeFileSync(rootSecretFile, `${secretToken}\n`);
      writeFileSync(fakeKeyFile, `-----BEGIN OPENSSH PRIVATE KEY-----\nfake-${secretToken}\n`);
      // Written in place so the workspace's hardlink keeps sharing the inode.
      writeFileSync(hardlinkTarget, "host-owned content\n");
      for (const path of canaries(attackId)) rmSync(path, { recursive: true, force: true });
      if (workspaceChanged) {
        rmSync(workspace, { recursive: true, force: true });
        createWorkspace(workspace, hostDir, secretFile, hardlinkTarget);
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      process.off("exit", onExit);
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      dns.close();
      await netns.dispose();
      if (savedHome === undefined) delete process.env.HOME;
      else process.env.HOME = savedHome;
      if (savedSecret === undefined) delete process.env[envSecretName];
      else process.env[envSecretName] = savedSecret;
      rmSync(rootSecretFile, { force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
