package dev.modelguard.guard.model;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Manual benchmark (not a test): load time, batch-1 guard latency on ~40-token prompts, raw batched
 * encoder throughput, and guard throughput at N concurrent callers, in one run.
 * {@code java -cp ... ModelGuardBench guard-models/prompt-attack en|zh 32}
 */
final class ModelGuardBench {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    boolean zh = args.length > 1 && args[1].equals("zh");
    int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    long t0 = System.nanoTime();
    ModelGuard guard = ModelGuards.load(dir);
    System.out.printf("load %s: %.0f ms (encoders included)%n", dir, (System.nanoTime() - t0) / 1e6);
    String base = zh
        ? "请帮我写一封邮件给我的房东，说明暖气坏了需要尽快维修，语气要礼貌但坚定，编号"
        : "Please write a short, polite email to my landlord explaining that the heater in the living room is broken and needs repair soon, reference number";
    Encoder encoder = EncoderService.shared(zh ? "bge-small-zh-v15-q" : "all-minilm-l6-v2-q").encoder();
    System.out.println("tokens per prompt: " + encoder.tokenCount(base + " 12345"));
    int counter = 0;
    for (int i = 0; i < 50; i++) {
      guard.scan(Segment.of(Direction.PROMPT, base + " " + (counter++)));
    }
    double[] lat = new double[500];
    for (int i = 0; i < lat.length; i++) {
      long s = System.nanoTime();
      guard.scan(Segment.of(Direction.PROMPT, base + " " + (counter++)));
      lat[i] = (System.nanoTime() - s) / 1e6;
    }
    Arrays.sort(lat);
    System.out.printf("guard batch-1 latency (cache miss): p50 %.2f ms, p99 %.2f ms%n", lat[250], lat[494]);
    long s = System.nanoTime();
    int cachedRuns = 1000;
    for (int i = 0; i < cachedRuns; i++) {
      guard.scan(Segment.of(Direction.PROMPT, base + " 0"));
    }
    System.out.printf("guard cache hit: %.3f ms each%n", (System.nanoTime() - s) / 1e6 / cachedRuns);

    List<String> batch = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      batch.add(base + " " + (counter++));
    }
    encoder.embed(batch);
    s = System.nanoTime();
    int rounds = 20;
    for (int i = 0; i < rounds; i++) {
      encoder.embed(batch);
    }
    double raw = rounds * 32 / ((System.nanoTime() - s) / 1e9);
    System.out.printf("raw encoder throughput, batch 32: %.0f texts/s%n", raw);

    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    int total = 2000;
    int start = counter;
    List<Future<?>> futures = new ArrayList<>();
    s = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      int worker = c;
      futures.add(pool.submit(() -> {
        for (int i = worker; i < total; i += concurrency) {
          guard.scan(Segment.of(Direction.PROMPT, base + " " + (start + i)));
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    double guardTput = total / ((System.nanoTime() - s) / 1e9);
    pool.shutdown();
    System.out.printf("guard throughput at %d concurrent callers: %.0f texts/s (%.0f %% of raw batched)%n",
        concurrency, guardTput, 100 * guardTput / raw);
    EncoderService svc = EncoderService.shared(encoder.spec().name());
    System.out.printf("batches %d, items %d, largest batch %d%n", svc.batcher().batchesRun(),
        svc.batcher().itemsProcessed(), svc.batcher().largestBatch());
    Runtime rt = Runtime.getRuntime();
    System.out.printf("JVM heap used %.0f MB%n", (rt.totalMemory() - rt.freeMemory()) / 1e6);
  }
}
