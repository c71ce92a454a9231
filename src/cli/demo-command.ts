// Placeholder: the 'demo' command is being written.
export async function run(_argv: string[]): Promise<number> {
  console.error("closedloop demo: not built yet");
  return 2;
}
