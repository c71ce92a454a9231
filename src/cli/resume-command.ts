// Placeholder: the 'resume' command is being written.
export async function run(_argv: string[]): Promise<number> {
  console.error("closedloop resume: not built yet");
  return 2;
}
