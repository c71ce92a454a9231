// One token estimate for all of closedloop (budgets, benchmarks, the loop's context), so
// numbers from different places can be compared. ≈ 4 characters a token.
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
