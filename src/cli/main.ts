// closedloop's command line: each command is one file exporting `run(argv): Promise<number>`
// (the exit code). 0 verified/success, 1 not verified, 2 usage or configuration error.
import { readFileSync } from "node:fs";
import { UserError } from "../util/index.ts";
import { nearestName } from "./flag-table.ts";

type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  run: {
    summary: "run the loop on a task until the verifier passes",
    load: () => import("./run-command.ts"),
  },
  demo: {
    summary: "run the whole loop on a bundled buggy project (scripted model, no key)",
    load: () => import("./demo-command.ts"),
  },
  resume: { summary: "continue a run whose process died", load: () => import("./resume-command.ts") },
  show: { summary: "print a run's timeline", load: () => import("./show-command.ts") },
  apply: {
    summary: "apply a verified run's patch later (to the tree, or --branch NAME)",
    load: () => import("./apply-command.ts"),
  },
  sandbox: { summary: "run one command in a fresh sandbox", load: () => import("./sandbox-command.ts") },
  batch: { summary: "run every task of a JSONL file (resumable)", load: () => import("./batch-command.ts") },
  worker: { summary: "run attempts from a Redis queue", load: () => import("./worker-command.ts") },
  setup: {
    summary: "install what this machine lacks (bubblewrap, a C compiler, Chromium, …)",
    load: () => import("./setup-command.ts"),
  },
  doctor: {
    summary: "check what this machine lacks, changing nothing",
    load: async () => ({ run: (await import("./setup-command.ts")).runDoctor }),
  },
  check: {
    summary: "run a command and print compact structured feedback",
    load: () => import("./check-command.ts"),
  },
  mcp: { summary: "serve closedloop's tools over MCP on stdio", load: () => import("./mcp-command.ts") },
  serve: {
    summary: "MCP over HTTP at /mcp and the live dashboard at /",
    load: () => import("./serve-command.ts"),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `usage: closedloop <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nRun 'closedloop <command> --help' for a command's options, 'closedloop --version' for the version.`;
}

function version(): string {
  const manifest = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    console.log(version());
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    const near = nearestName(name.replace(/^-+/, ""), Object.keys(commands));
    const hint = near ? ` — did you mean '${near}'?` : "";
    console.error(`closedloop: unknown command '${name}'${hint}\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (error) {
    if (UserError.isInstance(error)) {
      console.error(`closedloop ${name}: ${error.message}`);
      return error.exitCode;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
