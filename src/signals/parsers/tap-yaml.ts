// The YAML diagnostics block TAP 13/14 producers write under a failing test point
// (`  ---` … `  ...`): only `key: value` and `key: |-` blocks, which is all they use.

/** Just enough YAML for TAP diagnostics (node:test, tape, node-tap): `key: value` and `key: |-` blocks. */
export function readTapYaml(lines: string[]) {
  const values = new Map<string, string>();
  const blocks = new Map<string, string[]>();
  const start = lines.findIndex((l) => l.trim() === "---");
  if (start >= 0) {
    // Keys sit at the `---` line's indent (node:test, node-tap) or deeper (tape).
    const first = lines.slice(start + 1).find((l) => l.trim() !== "") ?? lines[start]!;
    const base = first.length - first.trimStart().length;
    let current: string[] | undefined;
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === "...") break;
      const indent = line.length - line.trimStart().length;
      const kv = indent === base ? /^\s*([\w-]+):\s*(.*)$/.exec(line) : null;
      if (kv) {
        current = undefined;
        if (kv[2] === "|-" || kv[2] === "|" || kv[2] === "") {
          current = [];
          blocks.set(kv[1]!, current);
        } else values.set(kv[1]!, kv[2]!);
      } else if (current) current.push(line.slice(Math.min(indent, base + 2)));
    }
  }
  return {
    size: values.size + blocks.size,
    get: (key: string) => values.get(key),
    block: (key: string) => blocks.get(key) ?? (values.has(key) ? [values.get(key)!] : undefined),
  };
}

export function unquoteYaml(text: string): string {
  const t = text.trim();
  return /^'.*'$/.test(t) ? t.slice(1, -1).replace(/''/g, "'") : text;
}
