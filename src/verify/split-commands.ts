// A verifier command as the simple commands a shell would run, word by word: enough to see
// which programs run and which files they are given, not a shell.
/** A command line as simple commands of words (quotes removed; `&&`, `||`, `;`, `|` split). */
export function splitCommands(command: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let inWord = false;
  const end = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) end();
    else if (";&|()\n".includes(ch)) {
      end();
      if (words.length > 0) commands.push(words);
      words = [];
    } else {
      word += ch;
      inWord = true;
    }
  }
  end();
  if (words.length > 0) commands.push(words);
  return commands;
}
