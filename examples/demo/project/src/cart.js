// A tiny shopping cart with two bugs for `closedloop demo` to fix.

/** Sum of price × quantity over the items. */
export function cartTotal(items) {
  let total = 0;
  for (const item of items) total += item.price;
  return total;
}

/** The total after taking `percent` off, rounded to cents. */
export function applyDiscount(total, percent) {
  if (percent < 0 || percent > 100) throw new RangeError("percent must be between 0 and 100");
  return Math.round(total * (percent / 100) * 100) / 100;
}
