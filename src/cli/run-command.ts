// Placeholder: the 'run' command is being written.
export async function run(_argv: string[]): Promise<number> {
  console.error("closedloop run: not built yet");
  return 2;
}
