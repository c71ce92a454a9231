// What JavaScript/TypeScript source may not do to the tests that judge it: assign to (or
// redefine) members of the assertion and test-framework modules it imports, overwrite the test
// globals, hook the module loader, or take over the process's exit status and output. Reading
// and calling is always fine: `import assert from "node:assert"; assert(x > 0)` in source is an
// honest invariant check, and `process.exit(1)` is an honest CLI (an early exit is the witness's
// to catch: fewer tests run).
import { type LineHit, procHit, type ScannedLine } from "./tamper-lines.ts";

const testModule =
  /^(?:(?:node:)?assert(?:\/strict)?|(?:node:)?test(?:\/reporters)?|chai(?:\/.*)?|expect|jest|vitest|tape|tap|mocha|ava|uvu(?:\/.*)?|should|power-assert|@jest\/.+|@vitest\/.+|@playwright\/test)$/;

/** The globals test runners install; assigning them from source replaces the runner's own. */
const testGlobals = new Set([
  "expect",
  "test",
  "it",
  "describe",
  "suite",
  "context",
  "jest",
  "vi",
  "chai",
  "assert",
  "beforeEach",
  "afterEach",
  "beforeAll",
  "afterAll",
  "before",
  "after",
  "fit",
  "xit",
  "fdescribe",
  "xdescribe",
]);
/** Test globals used as bare names with members (`expect.extend`), unless the file declares them. */
const bareGlobals = ["expect", "jest", "vi", "chai"];

const assignOp = String.raw`\s*(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?![=>])`;
const memberChain = String.raw`(?:\s*\??\.\s*[\w$]+|\s*\[[^\]]*\])+`;
const redefine = String.raw`\b(?:Object\s*\.\s*(?:defineProperty|defineProperties|assign|setPrototypeOf)|Reflect\s*\.\s*(?:set|defineProperty|setPrototypeOf|deleteProperty))\s*\(\s*`;

function labelOf(specifier: string): string {
  if (/^(?:node:)?assert(?:\/strict)?$/.test(specifier)) return "node:assert";
  if (/^(?:node:)?test$/.test(specifier)) return "node:test";
  return specifier;
}

function escapeName(name: string): string {
  return name.replace(/\$/g, "\\$");
}

/** Local names bound to a test module (imports, requires, dynamic imports, aliases), name → label. */
export function jsTestBindings(context: readonly string[]): Map<string, string> {
  const bound = new Map<string, string>();
  const addNames = (names: string, label: string) => {
    for (const part of names.replace(/[{}]/g, "").split(",")) {
      const name = /([\w$]+)\s*$/.exec(part.trim())?.[1];
      if (name && name !== "type") bound.set(name, label);
    }
  };
  // A usage example in a doc comment (` * const Mocha = require("mocha")`) binds nothing.
  const code = context.filter((text) => !isComment(text));
  for (const text of code) {
    for (const m of text.matchAll(
      /\bimport\s+(?:type\s+)?([\w$]+)?\s*,?\s*(?:\*\s*as\s+([\w$]+)|(\{[^}]*\}))?\s*from\s*["'`]([^"'`]+)["'`]/g,
    )) {
      if (!testModule.test(m[4]!)) continue;
      const label = labelOf(m[4]!);
      if (m[1]) bound.set(m[1], label);
      if (m[2]) bound.set(m[2], label);
      if (m[3]) addNames(m[3], label);
    }
    for (const m of text.matchAll(
      /\b(?:import|const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*([^;]*?\b(?:require|import)\s*\(\s*["'`]([^"'`]+)["'`]\s*\)[^;]*)/g,
    ))
      if (testModule.test(m[3]!)) addNames(m[1]!, labelOf(m[3]!));
  }
  // Aliases: `const a = assert;`, `const { strict } = assert`, `const s = assert.strict`.
  for (let changed = true; changed; ) {
    changed = false;
    for (const text of code)
      for (const m of text.matchAll(
        /\b(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*\(?\s*([\w$]+)(?:\s*\.\s*[\w$]+)*\s*\)?\s*(?:as\b|[;,]|$)/g,
      )) {
        const label = bound.get(m[2]!);
        if (label === undefined) continue;
        const names = m[1]!.replace(/[{}]/g, "").split(",");
        for (const part of names) {
          const name = /([\w$]+)\s*$/.exec(part.trim())?.[1];
          if (name && !bound.has(name)) {
            bound.set(name, label);
            changed = true;
          }
        }
      }
  }
  return bound;
}

function declares(context: readonly string[], name: string): boolean {
  const re = new RegExp(String.raw`\b(?:const|let|var|function|class|import)\b[^=;]*\b${escapeName(name)}\b`);
  return context.some((text) => re.test(text));
}

function isComment(text: string): boolean {
  return /^\s*(?:\/\/|\/\*|\*)/.test(text);
}

export function scanJsLines(lines: readonly ScannedLine[], context: readonly string[]): LineHit[] {
  const bound = jsTestBindings(context);
  for (const name of bareGlobals)
    if (!bound.has(name) && !declares(context, name)) bound.set(name, `the test global ${name}`);
  const scope = { bound, globals: globalObjects(context) };
  const hits: LineHit[] = [];
  for (const line of lines) {
    if (!line.added || isComment(line.text)) continue;
    const touches = jsLineTouches(line.text, scope);
    if (touches) hits.push({ line, touches });
    else {
      const proc = procHit(line);
      if (proc) hits.push(proc);
    }
  }
  return hits;
}

/**
 * The names that mean the global object here: `globalThis` always; `global`, `window` and `self`
 * unless the file declares them (mocha's and yargs' `const self = this`); aliases of either.
 */
function globalObjects(context: readonly string[]): string {
  const names = ["globalThis", ...["global", "window", "self"].filter((name) => !declares(context, name))];
  for (const text of context)
    for (const m of text.matchAll(/\b(?:const|let|var)\s+([\w$]+)\s*=\s*(globalThis|global)\s*(?:[;,]|$)/g))
      if (!names.includes(m[1]!)) names.push(m[1]!);
  return `(?:${names.map(escapeName).join("|")})`;
}

export interface JsScope {
  /** Local names bound to a test module, name → label. */
  bound: ReadonlyMap<string, string>;
  /** A regex alternation of the names that mean the global object. */
  globals: string;
}

function possessive(label: string): string {
  return label.startsWith("the test global ") ? label : `${label}'s`;
}

/** Calls that replace a member of their first argument: node:test's mock.method, sinon.stub, spyOn. */
const replacerCall = String.raw`\b(?:method|getter|setter|property|spyOn|stub|replace|replaceGetter|replaceSetter|replaceProperty)\s*\(\s*`;

/** What one added line does to the test machinery, or undefined when it does nothing of the kind. */
export function jsLineTouches(text: string, scope: JsScope): string | undefined {
  const code = blankStrings(text);
  for (const [name, label] of scope.bound) {
    const target = String.raw`(?:^|[^\w$.])(?:${escapeName(name)}|\(\s*${escapeName(name)}\b[^()]*\))`;
    if (new RegExp(`${target}${memberChain}${assignOp}`).test(code))
      return `overwrites ${possessive(label)} methods`;
    if (new RegExp(String.raw`\bdelete\s+${escapeName(name)}${memberChain}`).test(code))
      return `deletes ${possessive(label)} methods`;
    if (new RegExp(String.raw`${redefine}\(?\s*${escapeName(name)}\b`).test(code))
      return `redefines ${possessive(label)} methods`;
    if (new RegExp(String.raw`${replacerCall}\(?\s*${escapeName(name)}\b`).test(code))
      return `replaces ${possessive(label)} methods with a mock`;
    if (new RegExp(String.raw`${target}\s*\.\s*(?:extend|use)\s*\(`).test(code) && /expect|chai/.test(label))
      return `adds matchers to ${label}, changing what its assertions accept`;
  }
  const run = [...scope.bound].find(([name, label]) => label === "node:test" && name === "run");
  if (run && /(?:^|[^\w$.])run\s*\(/.test(code))
    return "starts a test run of its own (node:test's run) from code under test";
  // The module itself, without a name: require("node:assert").equal = …, Object.assign(require("chai"), …).
  for (const m of text.matchAll(/\b(?:require|import)\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) {
    if (!testModule.test(m[1]!)) continue;
    const after = text.slice(m.index + m[0].length).replace(/^\s*\)/, "");
    const before = text.slice(0, m.index);
    if (
      new RegExp(`^${memberChain}${assignOp}`).test(after) ||
      new RegExp(`(?:${redefine}|${replacerCall})\\(?\\s*$`).test(before)
    )
      return `overwrites ${labelOf(m[1]!)}'s methods`;
  }
  // Module mocks of the test framework itself: mock.module("node:assert"), jest.mock("expect"), vi.doMock("chai").
  const mocked = /\b(?:module|mock|doMock|unstable_mockModule|setMock)\s*\(\s*["'`]([^"'`]+)["'`]/.exec(
    text,
  )?.[1];
  if (mocked !== undefined && testModule.test(mocked))
    return `replaces the module ${labelOf(mocked)} with a mock`;
  const stubbed = /\bstubGlobal\s*\(\s*["'`]([\w$]+)["'`]/.exec(text)?.[1];
  if (stubbed !== undefined && testGlobals.has(stubbed)) return `overwrites the test global ${stubbed}`;
  const globals = scope.globals;
  const global = new RegExp(
    String.raw`(?:^|[^\w$.#])${globals}\s*(?:\.\s*([\w$]+)|\[\s*["'\`]([\w$]+)["'\`]\s*\])(?:${memberChain})?${assignOp}`,
  ).exec(text);
  const globalName = global?.[1] ?? global?.[2];
  if (globalName && testGlobals.has(globalName)) return `overwrites the test global ${globalName}`;
  const defined = new RegExp(String.raw`${redefine}${globals}\s*,\s*["'\`]([\w$]+)["'\`]`).exec(text);
  if (defined && testGlobals.has(defined[1]!)) return `overwrites the test global ${defined[1]}`;
  const assigned = new RegExp(String.raw`\bObject\s*\.\s*assign\s*\(\s*${globals}\s*,(.*)`).exec(text);
  if (assigned && [...testGlobals].some((g) => new RegExp(`\\b${g}\\b`).test(assigned[1]!)))
    return "overwrites the test globals";
  return runtimeTouches(text, code) ?? processTouches(text, code);
}

/**
 * The runtime under the runner: the inspector evaluates code in (and rewrites) the runner's own
 * context, and V8's flags change how everything after them runs. `Error.prepareStackTrace` is
 * not flagged: source-map tools set it, and a stack's text cannot turn a failure into a pass.
 */
function runtimeTouches(text: string, code: string): string | undefined {
  if (
    /\b(?:require|import)\s*\(\s*["'`](?:node:)?inspector(?:\/promises)?["'`]|\bfrom\s*["'`](?:node:)?inspector(?:\/promises)?["'`]/.test(
      text,
    )
  )
    return "opens the inspector (node:inspector), which evaluates code in the runner's own context";
  if (/\bsetFlagsFromString\s*\(/.test(code)) return "changes V8's flags at run time (v8.setFlagsFromString)";
  return undefined;
}

/** The line with the inside of its string literals blanked, so a message that names process.exit is not a call. */
function blankStrings(text: string): string {
  return text.replace(
    /(["'`])((?:\\.|(?!\1)[^\\])*)\1/g,
    (_all, quote: string, inner: string) => `${quote}${" ".repeat(inner.length)}${quote}`,
  );
}

/** Members of process that carry the run's verdict: its exit, its exit status, its output. */
const channel =
  "exit|reallyExit|exitCode|abort|kill|emit|on|once|addListener|prependListener|_exiting|_events|stdout|stderr|send|binding|_rawDebug";

/** The process's verdict channel: its exit, its exit status and the output the runner reports on. */
function processTouches(text: string, code: string): string | undefined {
  const proc = String.raw`(?:^|[^\w$.#])(?:(?:globalThis|global)\s*\.\s*)?(?:process|this\s*\.\s*#?process)\s*`;
  const reallyExit = String.raw`\s*(?:\(|${assignOp})`;
  if (
    new RegExp(String.raw`${proc}\??\.\s*reallyExit${reallyExit}`).test(code) ||
    new RegExp(String.raw`${proc}\[\s*["'\`]reallyExit["'\`]\s*\]${reallyExit}`).test(text)
  )
    return "calls process.reallyExit, ending the runner before it reports";
  const member = new RegExp(
    String.raw`${proc}\.\s*(exit|abort|kill|emit|on|once|addListener|prependListener|_exiting|_events|binding|_rawDebug|send)${assignOp}`,
  ).exec(code);
  if (member) return `overrides process.${member[1]}`;
  const statusAt = new RegExp(String.raw`\bprocess\s*\.\s*exitCode${assignOp}\s*([^;,)}]*)`);
  const status = statusAt.test(code) ? statusAt.exec(text) : null;
  // A nonzero status can only make a run fail, and a CLI's `process.exitCode = await main()` is
  // its own business; a success status, or any status set from an exit hook, turns the runner's 1 into 0.
  if (
    status &&
    (/^\s*(?:0|-?0x0+|["'`]0["'`]|undefined|null|false|void\s+0)\s*$/.test(status[1]!) ||
      /\bprocess\s*\.\s*(?:on|once|prependListener|addListener)\s*\(\s*["'`](?:exit|beforeExit)/.test(text))
  )
    return "sets process.exitCode, the runner's exit status";
  const streamAt = new RegExp(String.raw`\bprocess\s*\.\s*(stdout|stderr)(${memberChain})?${assignOp}`);
  const stream = streamAt.test(code) ? streamAt.exec(text) : null;
  if (stream)
    return `replaces process.${stream[1]}${stream[2]?.replace(/\s/g, "") ?? ""}, the runner's report channel`;
  const streamDefined = new RegExp(String.raw`${redefine}process\s*\.\s*(stdout|stderr)\b`).exec(text);
  if (streamDefined) return `replaces process.${streamDefined[1]}, the runner's report channel`;
  // Object.defineProperty(process, "exit", …) or with a computed key; process.env, process.chdir are not the channel.
  const redefined = new RegExp(String.raw`${redefine}process\s*,\s*(?:["'\`]([\w$]+)["'\`])?`).exec(text);
  if (redefined && (redefined[1] === undefined || new RegExp(`^(?:${channel})$`).test(redefined[1])))
    return `redefines process.${redefined[1] ?? "[…]"}, the runner's exit or output`;
  const loader = new RegExp(
    String.raw`\b(?:Module|module\s*\.\s*constructor)\s*\.\s*(_load|_resolveFilename|_extensions|_compile|prototype\s*\.\s*(?:require|_compile))(?:${memberChain})?${assignOp}`,
  ).exec(code);
  if (loader) return `hooks the module loader (Module.${loader[1]!.replace(/\s/g, "")})`;
  const cache = new RegExp(String.raw`\brequire\s*\.\s*(cache|extensions)\s*\[[^\]]*\]${assignOp}`).exec(
    text,
  );
  if (cache) return `hooks the module loader (require.${cache[1]})`;
  return undefined;
}
