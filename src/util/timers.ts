// Timers that never keep the process alive once the work they guard is over. A bare
// `Promise.race([work, new Promise((r) => setTimeout(r, 2000))])` leaves the timer running
// after `work` wins, and a CLI that is done then sits idle until it fires.

/** `promise`'s value, or `onTimeout` after `ms`; the timer is cleared either way. */
export async function raceTimeout<T, U>(promise: Promise<T>, ms: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<U>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms` without holding the process open for it. */
export function sleepUnref(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
