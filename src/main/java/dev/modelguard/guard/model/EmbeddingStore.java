package dev.modelguard.guard.model;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * An append-only on-disk cache of embeddings for training, keyed by SHA-256 of the text and the
 * encoder name, so re-training (another seed, another label set) never re-embeds a text.
 *
 * <p>File format: repeated {@code [32-byte key][dim floats]}; a torn last record (a killed run) is
 * ignored. Not thread-safe: one training run owns it.
 */
public final class EmbeddingStore implements AutoCloseable {
  private final Encoder encoder;
  private final Map<String, float[]> cached = new HashMap<>();
  private final DataOutputStream out;

  /** Opens (or creates) the cache of {@code encoder} under {@code dir}. */
  public EmbeddingStore(Path dir, Encoder encoder) throws IOException {
    this.encoder = encoder;
    Files.createDirectories(dir);
    // "-b1": embeddings computed one text per inference (see embed); older batched caches are not reused.
    Path file = dir.resolve(encoder.spec().name() + "-b1.bin");
    int dim = encoder.dimension();
    if (Files.exists(file)) {
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
        byte[] key = new byte[32];
        while (true) {
          float[] v = new float[dim];
          try {
            in.readFully(key);
            for (int i = 0; i < dim; i++) {
              v[i] = in.readFloat();
            }
          } catch (EOFException e) {
            break;
          }
          cached.put(HexFormat.of().formatHex(key), v);
        }
      }
    }
    out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND)));
  }

  /**
   * Embeddings of {@code texts}, computing the missing ones one text at a time and printing a
   * progress line on {@code stderr}.
   */
  public float[][] embed(List<String> texts, String what) throws IOException {
    float[][] result = new float[texts.size()][];
    List<Integer> missing = new ArrayList<>();
    String[] keys = new String[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      keys[i] = key(texts.get(i));
      result[i] = cached.get(keys[i]);
      if (result[i] == null) {
        missing.add(i);
      }
    }
    missing.sort((a, b) -> Integer.compare(texts.get(a).length(), texts.get(b).length()));
    long start = System.nanoTime();
    int done = 0;
    for (int from = 0; from < missing.size(); from += 32) {
      List<Integer> chunk = missing.subList(from, Math.min(missing.size(), from + 32));
      // One text per inference: the int8 encoders quantise activations over the whole batch, so a
      // batched embedding depends on its companions; alone it is the reference the gateway computes
      // when idle (and exactly what it computes with -Dmodelguard.batch.max=1).
      float[][] vectors = new float[chunk.size()][];
      for (int j = 0; j < chunk.size(); j++) {
        vectors[j] = encoder.embed(List.of(texts.get(chunk.get(j))))[0];
      }
      for (int j = 0; j < chunk.size(); j++) {
        int i = chunk.get(j);
        result[i] = vectors[j];
        cached.put(keys[i], vectors[j]);
        out.write(HexFormat.of().parseHex(keys[i]));
        for (float f : vectors[j]) {
          out.writeFloat(f);
        }
      }
      done += chunk.size();
      double secs = (System.nanoTime() - start) / 1e9;
      System.err.printf("\rembedding %s with %s: %d/%d new (%d cached), %.0f texts/s   ", what,
          encoder.spec().name(), done, missing.size(), texts.size() - missing.size(), done / Math.max(secs, 1e-9));
    }
    out.flush();
    if (!missing.isEmpty()) {
      System.err.println();
    }
    return result;
  }

  private String key(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(encoder.spec().name().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      md.update(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
