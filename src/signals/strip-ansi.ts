// Terminal escape codes and carriage-return redraws cost tokens and break line regexes,
// so every line is cleaned before a parser or the model sees it.

// CSI sequences (colours, cursor moves), OSC sequences (titles, hyperlinks) and lone ESC pairs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape codes is the point
const ansiPattern = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes("\u001b") ? text.replace(ansiPattern, "") : text;
}

/** One physical line as a terminal would finally show it: ANSI removed, `\r` redraws collapsed. */
export function cleanLine(line: string): string {
  let text = line.endsWith("\r") ? line.slice(0, -1) : line;
  const cr = text.lastIndexOf("\r");
  if (cr >= 0) text = text.slice(cr + 1);
  return stripAnsi(text);
}
