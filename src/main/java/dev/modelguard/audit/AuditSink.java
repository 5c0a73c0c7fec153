package dev.modelguard.audit;

import java.util.concurrent.CompletableFuture;

/**
 * Where audit events go. The gateway calls {@link #record} for every decision, on the Vert.x
 * event loop, so an implementation does its I/O elsewhere.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>All methods are thread-safe.
 *   <li>{@link #record} never blocks and never throws for I/O reasons: it hands the event over
 *       and returns. When the sink cannot keep up or has failed, the event is dropped, and the
 *       loss is made visible by the implementation (counted, logged, noted in the log itself);
 *       it is never silent.
 *   <li>Events recorded by one thread are stored in the order that thread recorded them.
 *   <li>{@link #flush} and {@link #close} may block or wait on I/O: call them from a worker
 *       thread or at shutdown, never from the event loop.
 * </ul>
 */
public interface AuditSink extends AutoCloseable {

  /**
   * Queues {@code event} for storage and returns at once.
   *
   * @throws NullPointerException if {@code event} is null (a programming error, not an I/O one)
   */
  void record(AuditEvent event);

  /**
   * Completes once every event recorded before this call (and not dropped) is durably stored, or
   * completes exceptionally with the I/O error that prevents it. Does not block the caller.
   */
  CompletableFuture<Void> flush();

  /**
   * Stores everything already recorded, then releases the sink's resources; blocks until done.
   * Idempotent. Events recorded afterwards are dropped and counted as such.
   */
  @Override
  void close();
}
