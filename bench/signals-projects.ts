// The projects `npm run bench -- signals` runs real tools on: one 200-test suite (40
// failing) written for node:test, vitest and jest, and a TypeScript project with 300 errors.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const files = 10;
const testsPerFile = 20;

/**
 * The same 200 tests for every runner; 4 per file fail: two throws from two levels down in
 * src/, one object comparison with a wrong field, one wrong number.
 */
export function writeTestSuite(dir: string, runner: "node" | "vitest" | "jest"): void {
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const esm = runner !== "jest";
  write(
    "package.json",
    JSON.stringify({
      name: `bench-${runner}`,
      type: esm ? "module" : "commonjs",
      jest: { testEnvironment: "node" },
    }),
  );
  const src = [
    "function price(qty, unit) {",
    "  return qty * unit + (qty > 7 ? 1 : 0);",
    "}",
    "function readField(parts, index, id) {",
    "  const value = parts[index];",
    "  if (value === undefined) throw new TypeError('record ' + id + ' has no field ' + index);",
    "  return value;",
    "}",
    "function parseRecord(text) {",
    "  const parts = text.split(':');",
    "  return { id: parts[0], value: Number(readField(parts, 1, parts[0])) };",
    "}",
    "function summarize(items) {",
    "  const total = items.reduce((n, i) => n + price(i.qty, i.unit), 0);",
    "  return { count: items.length, total, currency: 'EUR', discounted: total > 100, skus: items.map((i) => i.sku) };",
    "}",
  ].join("\n");
  const names = "price, parseRecord, summarize";
  write(
    `src/shop.${esm ? "js" : "cjs"}`,
    esm ? `${src}\nexport { ${names} };\n` : `${src}\nmodule.exports = { ${names} };\n`,
  );
  for (let f = 1; f <= files; f++) {
    const lines: string[] = [];
    if (runner === "node")
      lines.push('import { describe, test } from "node:test";', 'import assert from "node:assert/strict";');
    if (runner === "vitest") lines.push('import { describe, expect, test } from "vitest";');
    lines.push(
      esm ? `import { ${names} } from "../src/shop.js";` : `const { ${names} } = require("../src/shop.cjs");`,
    );
    const equal = (a: string, b: string) =>
      runner === "node" ? `assert.equal(${a}, ${b});` : `expect(${a}).toBe(${b});`;
    const deep = (a: string, b: string) =>
      runner === "node" ? `assert.deepEqual(${a}, ${b});` : `expect(${a}).toEqual(${b});`;
    lines.push(`describe("shop module ${f}", () => {`);
    for (let t = 1; t <= testsPerFile; t++) {
      const qty = t % 10 === 5 ? 8 + f : (t % 7) + 1;
      const total = qty * f + 2;
      if (t % 10 === 4) {
        lines.push(
          `  test("parses record ${f}.${t}", () => {`,
          `    const record = parseRecord("r${f}${t}");`,
          `    ${equal("record.value", "1")}`,
          "  });",
        );
      } else if (t === 5 || t % 3 === 0) {
        lines.push(
          `  test("summarizes ${qty} items at ${f} (case ${t})", () => {`,
          "    const items = [",
          `      { sku: "a${t}", qty: ${qty}, unit: ${f} },`,
          `      { sku: "b${t}", qty: 1, unit: 2 },`,
          "    ];",
          `    ${deep("summarize(items)", `{ count: 2, total: ${total}, currency: "EUR", discounted: ${total > 100}, skus: ["a${t}", "b${t}"] }`)}`,
          "  });",
        );
      } else {
        lines.push(
          `  test("prices ${qty} items at ${f} (case ${t})", () => {`,
          `    ${equal(`price(${qty}, ${f})`, `${qty * f}`)}`,
          "  });",
        );
      }
    }
    lines.push("});", "");
    write(`test/shop-${String(f).padStart(2, "0")}.test.${esm ? "js" : "cjs"}`, lines.join("\n"));
  }
}

export function writeTscProject(dir: string): void {
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "ES2022", types: [] },
      include: ["src"],
    }),
  );
  writeFileSync(
    join(dir, "src/order.ts"),
    [
      "export interface Order { id: string; total: number; lines: { sku: string; qty: number }[] }",
      "export function formatPrize(amount: number, currency: string): string {",
      "  return String(amount) + currency;",
      "}",
      "",
    ].join("\n"),
  );
  // 30 files × 10 errors: the kinds a rename or a type change spreads across a codebase.
  for (let f = 1; f <= 30; f++) {
    const body = [
      'import { type Order, formatPrize } from "./order";',
      `export function report${f}(order: Order, note: string) {`,
      "  const out: string[] = [];",
    ];
    for (let e = 1; e <= 10; e++) {
      if (e % 3 === 1) body.push(`  out.push(formatPrice(order.total, "EUR"));`);
      else if (e % 3 === 2) body.push(`  out.push(formatPrize(note, "EUR"));`);
      else body.push(`  out.push(String(order.totl + ${e}));`);
    }
    body.push("  return out;", "}", "");
    writeFileSync(join(dir, `src/report-${String(f).padStart(2, "0")}.ts`), body.join("\n"));
  }
}
