/** Waits until a condition holds (checked every few ms), instead of a guessed sleep. */
import { Effect } from "effect";

export const eventually = async (condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

export const eventuallyEffect = (condition: () => boolean, what: string, timeoutMs = 5000) => Effect.promise(() => eventually(condition, what, timeoutMs));
