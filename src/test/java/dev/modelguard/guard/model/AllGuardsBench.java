package dev.modelguard.guard.model;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Manual benchmark (not a test): readiness time of every folder under {@code guard-models}, and the
 * latency of all of them run in parallel on one ~40-token prompt (guards sharing a model share one
 * pass per window: {@link ClassifierService}, {@link EncoderService}), one prompt past the
 * 20,000-character cap, plus resident memory. Run from the repository root.
 */
final class AllGuardsBench {
  public static void main(String[] a) throws Exception {
    long t0 = System.nanoTime();
    ModelGuardRegistry reg = new ModelGuardRegistry(List.of(Path.of("guard-models")));
    reg.loadAll();
    System.out.printf("ready (all %d guards, both encoders): %.0f ms%n", reg.names().size(), (System.nanoTime() - t0) / 1e6);
    List<ModelGuard> guards = reg.names().stream().map(reg::guard).toList();
    ExecutorService pool = Executors.newFixedThreadPool(guards.size());
    for (String lang : new String[] {"en", "zh"}) {
      String base = lang.equals("zh") ? "请帮我写一封邮件给我的房东，说明暖气坏了需要尽快维修，语气要礼貌但坚定，编号"
          : "Please write a short, polite email to my landlord explaining that the heater in the living room is broken and needs repair soon, reference number";
      double[] lat = new double[400];
      for (int i = -50; i < lat.length; i++) {
        Segment s = Segment.of(Direction.PROMPT, base + " " + lang + i);
        long st = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (ModelGuard g : guards) fs.add(pool.submit(() -> g.inspect(s)));
        for (Future<?> f : fs) f.get();
        if (i >= 0) lat[i] = (System.nanoTime() - st) / 1e6;
      }
      Arrays.sort(lat);
      System.out.printf("%s: all %d guards in parallel on one ~40-token prompt: p50 %.2f ms p99 %.2f ms%n", lang, guards.size(), lat[200], lat[395]);
    }
    // A prompt past the 20,000-character cap: every window of it, all guards, cold cache.
    StringBuilder longText = new StringBuilder();
    for (int i = 0; longText.length() < 22_600; i++) {
      longText.append("Paragraph ").append(i).append(": the quarterly report lists revenue, costs and staffing for each region. ");
    }
    Segment longSegment = Segment.of(Direction.PROMPT, longText.toString());
    long st = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (ModelGuard g : guards) fs.add(pool.submit(() -> g.inspect(longSegment)));
    for (Future<?> f : fs) f.get();
    System.out.printf("a %d-character prompt, all %d guards, cold: %.0f ms%n", longText.length(), guards.size(), (System.nanoTime() - st) / 1e6);
    pool.shutdown();
    for (String l : Files.readAllLines(Path.of("/proc/self/status"))) if (l.startsWith("VmRSS") || l.startsWith("VmHWM")) System.out.println(l);
  }
}
