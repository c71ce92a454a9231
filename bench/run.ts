// `npm run bench -- <name> [--json]`: runs bench/<name>.ts, which prints a table (or one JSON
// object with --json) comparing against a baseline measured in the same run.
const [name, ...rest] = process.argv.slice(2);
const benches = ["sandbox", "signals", "loop", "fleet", "cli"];
if (!name || !benches.includes(name)) {
  console.error(`usage: npm run bench -- <${benches.join("|")}> [--json]`);
  process.exit(2);
}
const bench = (await import(`./${name}.ts`)) as { main(args: string[]): Promise<void> };
await bench.main(rest);
