package dev.modelguard.guard.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Collects concurrent single-item requests into batches for one model, so throughput under load
 * approaches the model's batched throughput.
 *
 * <p>One dedicated daemon thread takes the first waiting request, then gathers more until it has
 * {@code maxBatch} or {@code maxWaitMicros} have passed since the first was taken, and runs the
 * batch function once. The wait is only paid when requests trickle in one by one; under load the
 * queue fills the batch at once.
 *
 * <p>Threading: {@link #submit} is thread-safe and never blocks: it returns a future completed on
 * the batcher's thread (callers that compose on it should switch executors before heavy work, and
 * must not block on it from a Vert.x event loop). The batch function runs only on the batcher's
 * thread, never concurrently with itself.
 *
 * <p>Failure: a full queue rejects at once with {@link InferenceRejectedException}; an exception
 * from the batch function fails every future of that batch with it; after {@link #close()} every
 * pending and new request fails with {@link InferenceRejectedException}.
 *
 * @param <I> request item
 * @param <O> result item
 */
public final class MicroBatcher<I, O> implements AutoCloseable {
  private record Pending<I, O>(I item, CompletableFuture<O> future) {}

  private final String name;
  private final int maxBatch;
  private final long maxWaitNanos;
  private final Function<List<I>, List<O>> batchFunction;
  private final BlockingQueue<Pending<I, O>> queue;
  private final Thread thread;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong items = new AtomicLong();
  private volatile int largestBatch;
  private volatile boolean closed;

  /**
   * Starts the batcher's thread.
   *
   * @param name used in the thread name and error messages
   * @param maxBatch most items per batch (at least 1)
   * @param maxWaitMicros longest wait for more items after the first one (0 = take what is queued)
   * @param queueCapacity most items waiting; more are rejected
   * @param batchFunction maps a batch to results of the same size and order
   */
  public MicroBatcher(String name, int maxBatch, long maxWaitMicros, int queueCapacity,
      Function<List<I>, List<O>> batchFunction) {
    if (maxBatch < 1 || maxWaitMicros < 0 || queueCapacity < 1) {
      throw new IllegalArgumentException("batcher " + name + ": maxBatch and queueCapacity must be >= 1, maxWaitMicros >= 0");
    }
    this.name = name;
    this.maxBatch = maxBatch;
    this.maxWaitNanos = TimeUnit.MICROSECONDS.toNanos(maxWaitMicros);
    this.batchFunction = batchFunction;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.thread = new Thread(this::run, "modelguard-batcher-" + name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Queues {@code item} for the next batch.
   *
   * @throws InferenceRejectedException when the queue is full or the batcher is closed
   */
  public CompletableFuture<O> submit(I item) {
    if (closed) {
      throw new InferenceRejectedException("batcher " + name + " is closed");
    }
    CompletableFuture<O> future = new CompletableFuture<>();
    if (!queue.offer(new Pending<>(item, future))) {
      throw new InferenceRejectedException("batcher " + name + " queue is full (" + queue.size()
          + " waiting): the gateway is overloaded");
    }
    return future;
  }

  /** Batches run so far. */
  public long batchesRun() {
    return batches.get();
  }

  /** Items processed so far. */
  public long itemsProcessed() {
    return items.get();
  }

  /** The largest batch run so far. */
  public int largestBatch() {
    return largestBatch;
  }

  private void run() {
    List<Pending<I, O>> batch = new ArrayList<>(maxBatch);
    while (!closed) {
      try {
        Pending<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + maxWaitNanos;
        queue.drainTo(batch, maxBatch - batch.size());
        while (batch.size() < maxBatch) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            break;
          }
          Pending<I, O> next = queue.poll(left, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          batch.add(next);
          queue.drainTo(batch, maxBatch - batch.size());
        }
        runBatch(batch);
      } catch (InterruptedException e) {
        if (closed) {
          break;
        }
      } finally {
        batch.clear();
      }
    }
    failPending();
  }

  private void runBatch(List<Pending<I, O>> batch) {
    List<I> inputs = new ArrayList<>(batch.size());
    for (Pending<I, O> p : batch) {
      inputs.add(p.item());
    }
    try {
      List<O> outputs = batchFunction.apply(inputs);
      if (outputs.size() != inputs.size()) {
        throw new IllegalStateException("batcher " + name + ": batch function returned " + outputs.size()
            + " results for " + inputs.size() + " inputs");
      }
      batches.incrementAndGet();
      items.addAndGet(inputs.size());
      if (inputs.size() > largestBatch) {
        largestBatch = inputs.size();
      }
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).future().complete(outputs.get(i));
      }
    } catch (RuntimeException | Error e) {
      for (Pending<I, O> p : batch) {
        p.future().completeExceptionally(e);
      }
    }
  }

  private void failPending() {
    List<Pending<I, O>> left = new ArrayList<>();
    queue.drainTo(left);
    for (Pending<I, O> p : left) {
      p.future().completeExceptionally(new InferenceRejectedException("batcher " + name + " was closed"));
    }
  }

  /** Stops the thread after the running batch; queued requests fail. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failPending();
  }
}
