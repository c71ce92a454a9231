import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDiscount, cartTotal } from "../src/cart.js";

test("an empty cart costs nothing", () => {
  assert.equal(cartTotal([]), 0);
});

test("the total counts every unit of every item", () => {
  assert.equal(
    cartTotal([
      { price: 2.5, quantity: 4 },
      { price: 1, quantity: 1 },
    ]),
    11,
  );
});

test("a 20% discount takes a fifth off", () => {
  assert.equal(applyDiscount(50, 20), 40);
});

test("a discount outside 0..100 is refused", () => {
  assert.throws(() => applyDiscount(10, 120), RangeError);
});
