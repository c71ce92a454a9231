// Every parser, in the order their findings are shown. A new parser is one file beside
// these plus one line here. All of them read every log (several may apply to one log, e.g.
// `tsc && node --test`); the command line only hints which ones we expected.
import { cargoTestParser } from "./cargo-test.ts";
import { eslintParser } from "./eslint.ts";
import { genericParser } from "./generic.ts";
import { goTestParser } from "./go-test.ts";
import { jestParser } from "./jest.ts";
import { junitXmlParser } from "./junit-xml.ts";
import { mochaParser } from "./mocha.ts";
import { nodeTestSpecParser } from "./node-test-spec.ts";
import type { OutputParser, ParserName } from "./output-parser.ts";
import { pytestParser } from "./pytest.ts";
import { tapParser } from "./tap.ts";
import { tscParser } from "./tsc.ts";
import { vitestParser } from "./vitest.ts";

export const outputParsers: readonly OutputParser[] = [
  tscParser,
  eslintParser,
  nodeTestSpecParser,
  tapParser,
  jestParser,
  vitestParser,
  mochaParser,
  pytestParser,
  goTestParser,
  cargoTestParser,
  junitXmlParser,
  genericParser,
];

/**
 * Parsers a command line names, including through `npm test`-style wrappers: npm, yarn and
 * pnpm echo the script they run as `> vitest run`, and those lines are passed here too.
 */
export function parsersForCommand(...commands: string[]): ParserName[] {
  const names = new Set<ParserName>();
  for (const command of commands) {
    // `npx tsc`, `pnpm exec jest`, `./node_modules/.bin/vitest`, `sh -c "…"` all reduce to a word match.
    for (const parser of outputParsers) if (parser.command.test(command)) names.add(parser.name);
  }
  return [...names];
}

/** `> pkg@1.0.0 test` / `> jest --ci`: the script line npm prints before running it. */
export function isScriptEchoLine(line: string): boolean {
  return /^> \S/.test(line) && !/^> \S+@\S+ \S+/.test(line);
}
