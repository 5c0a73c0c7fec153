package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

  @Test
  void concurrentRequestsToTheRealEncoderAreBatched() throws Exception {
    EncoderService service = EncoderService.shared("all-minilm-l6-v2-q");
    long batchesBefore = service.batcher().batchesRun();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    try {
      List<CompletableFuture<CompletableFuture<float[]>>> submitted = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        String text = "concurrent request number " + i + " about the weather";
        submitted.add(CompletableFuture.supplyAsync(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return service.embedUncached(text);
        }, pool));
      }
      start.countDown();
      for (var s : submitted) {
        futures.add(s.get(30, TimeUnit.SECONDS));
      }
      for (var f : futures) {
        assertEquals(384, f.get(30, TimeUnit.SECONDS).length);
      }
    } finally {
      pool.shutdownNow();
    }
    long batches = service.batcher().batchesRun() - batchesBefore;
    assertTrue(batches < 64, "64 requests ran in " + batches + " batches");
    assertTrue(service.batcher().largestBatch() > 1, "largest batch " + service.batcher().largestBatch());
  }

  @Test
  void aFullQueueRejectsAtOnce() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (MicroBatcher<Integer, Integer> batcher = new MicroBatcher<>("slow", 1, 0, 2, items -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return items;
    })) {
      CompletableFuture<Integer> running = batcher.submit(1);
      Thread.sleep(100); // let the batcher take the first item
      batcher.submit(2);
      batcher.submit(3);
      InferenceRejectedException e = assertThrows(InferenceRejectedException.class, () -> batcher.submit(4));
      assertTrue(e.getMessage().contains("slow") && e.getMessage().contains("full"), e.getMessage());
      release.countDown();
      assertEquals(1, running.get(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void aFailingBatchFailsEveryFutureOfIt() {
    try (MicroBatcher<Integer, Integer> batcher = new MicroBatcher<>("failing", 8, 1000, 16, items -> {
      throw new IllegalStateException("model exploded");
    })) {
      CompletableFuture<Integer> f = batcher.submit(1);
      var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      assertEquals("model exploded", e.getCause().getMessage());
    }
  }
}
