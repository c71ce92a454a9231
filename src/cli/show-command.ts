// Placeholder: the 'show' command is being written.
export async function run(_argv: string[]): Promise<number> {
  console.error("closedloop show: not built yet");
  return 2;
}
