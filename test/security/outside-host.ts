// Run as root for an unprivileged battery run (scripts/security-as-unprivileged.sh): makes
// the battery's "outside host" (a network namespace with a veth pair and a server in it,
// test-netns.ts), appends every request line it receives to LOGFILE (readable by the
// unprivileged run, which attaches through CLSEC_OUTSIDE), prints
// `name,address,port,logfile` once ready, and takes it all down when stdin closes.
//   node --import tsx test/security/outside-host.ts LOGFILE
import { appendFileSync, chmodSync, writeFileSync } from "node:fs";
import { createTestNetns } from "./test-netns.ts";

const log = process.argv[2];
if (!log) {
  process.stderr.write("usage: outside-host.ts LOGFILE\n");
  process.exit(2);
}
writeFileSync(log, "");
chmodSync(log, 0o644);
const netns = await createTestNetns(process.pid, (line) =>
  appendFileSync(log, `${line.replaceAll("\n", " ")}\n`),
);
process.stdout.write(`${netns.name},${netns.address},${netns.port},${log}\n`);
const done = () => void netns.dispose().finally(() => process.exit(0));
process.stdin.on("end", done);
process.stdin.on("close", done);
process.stdin.resume();
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, done);
