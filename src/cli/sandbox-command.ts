// Placeholder: the 'sandbox' command is being written.
export async function run(_argv: string[]): Promise<number> {
  console.error("closedloop sandbox: not built yet");
  return 2;
}
