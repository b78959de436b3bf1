/**
 * Hands `items` out to `workers`, each taking the next as soon as it is
 * free. After a failure no worker takes another (`stopped` tells work under
 * way), and the failure is thrown once all work under way has ended (the
 * caller may then undo).
 */
export async function shareOut<W, T>(
  workers: W[],
  items: T[],
  work: (worker: W, item: T, stopped: () => boolean) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await eachUntilFailure(workers, async (worker, stopped) => {
    for (let next = queue.shift(); next !== undefined && !stopped(); next = queue.shift()) {
      await work(worker, next, stopped);
    }
  });
}

/**
 * Runs `work` for every worker at once. After a failure `stopped` tells the
 * others to take on nothing more, and the failure is thrown once all work
 * under way has ended (the caller may then undo).
 */
export async function eachUntilFailure<W>(
  workers: W[],
  work: (worker: W, stopped: () => boolean) => Promise<void>,
): Promise<void> {
  let failed = false;
  const stopped = () => failed;
  const results = await Promise.allSettled(
    workers.map((worker) =>
      work(worker, stopped).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
}
