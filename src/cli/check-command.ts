// Placeholder: the 'check' command is being written.
export async function run(_argv: string[]): Promise<number> {
  console.error("closedloop check: not built yet");
  return 2;
}
