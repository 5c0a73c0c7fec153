package dev.modelguard.guard.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The one place that prepares the process for in-process model inference: offline DJL, every
 * native-library and cache directory under a directory the gateway owns (never the user's home),
 * ONNX Runtime natives extracted once, one shared {@link OrtEnvironment}, and the intra-op thread
 * budget for all sessions.
 *
 * <p>{@link #init(Path)} must run before any DJL or ONNX Runtime class is touched; every entry point
 * of this package calls {@link #ensureInitialized()} so a forgotten call falls back to the default
 * directory instead of DJL's {@code ~/.djl.ai}. Initialisation is idempotent and thread-safe; the
 * first call wins and later calls with a different directory are ignored (system properties are
 * process-global, so changing them later would have no effect on already loaded natives).
 *
 * <p>Failure: an unwritable work directory or a native library that cannot be extracted throws
 * {@link UncheckedIOException} naming the path.
 */
public final class ModelRuntime {
  /** System property overriding the work directory when {@link #init(Path)} was not called. */
  public static final String WORK_DIR_PROPERTY = "modelguard.model.dir";
  /** System property overriding the intra-op threads of every ONNX session (default 1). */
  public static final String THREADS_PROPERTY = "modelguard.ort.threads";

  private static final String ORT_VERSION = "1.24.2";
  private static volatile Path workDir;
  private static volatile OrtEnvironment env;

  private ModelRuntime() {}

  /**
   * The default work directory: the {@code modelguard.model.dir} system property, else the
   * {@code MODELGUARD_WORK_DIR} environment variable, else {@code ${java.io.tmpdir}/modelguard-<user>}.
   */
  public static Path defaultWorkDir() {
    String configured = System.getProperty(WORK_DIR_PROPERTY);
    if (configured == null || configured.isBlank()) {
      configured = System.getenv("MODELGUARD_WORK_DIR");
    }
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir"), "modelguard-" + user);
  }

  /** Initialises with {@link #defaultWorkDir()} unless already initialised. */
  public static Path ensureInitialized() {
    Path dir = workDir;
    return dir != null ? dir : init(defaultWorkDir());
  }

  /**
   * Sets DJL offline, points DJL's cache, its engine cache and JNA's temp dir at {@code dir}, and
   * extracts ONNX Runtime's natives into {@code dir/onnxruntime-VERSION} once.
   *
   * @return the work directory actually in use (the first one initialised)
   */
  public static synchronized Path init(Path dir) {
    if (workDir != null) {
      return workDir;
    }
    Path abs = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(abs);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create model work directory " + abs, e);
    }
    // Without offline mode DJL probes the network whenever a tokenizer is created.
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("DJL_CACHE_DIR", abs.resolve("djl").toString());
    System.setProperty("ENGINE_CACHE_DIR", abs.resolve("djl-engines").toString());
    if (System.getProperty("jna.tmpdir") == null) {
      System.setProperty("jna.tmpdir", abs.resolve("jna").toString());
    }
    if (System.getProperty("onnxruntime.native.path") == null) {
      Path ortDir = extractOrtNatives(abs);
      if (ortDir != null) {
        System.setProperty("onnxruntime.native.path", ortDir.toString());
      }
    }
    workDir = abs;
    return abs;
  }

  /** The process-wide ONNX Runtime environment. */
  public static OrtEnvironment environment() {
    OrtEnvironment e = env;
    if (e == null) {
      synchronized (ModelRuntime.class) {
        if (env == null) {
          ensureInitialized();
          env = OrtEnvironment.getEnvironment();
        }
        e = env;
      }
    }
    return e;
  }

  /** Intra-op threads per session: 1 unless {@value #THREADS_PROPERTY} says otherwise. */
  public static int intraOpThreads() {
    return Integer.getInteger(THREADS_PROPERTY, 1);
  }

  /**
   * Session options sized for the whole process: each session gets {@link #intraOpThreads()}
   * threads and no inter-op pool, because several sessions (one per encoder) run concurrently
   * on a small machine and more threads than cores only makes them fight.
   */
  public static OrtSession.SessionOptions sessionOptions() throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(intraOpThreads());
    options.setInterOpNumThreads(1);
    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    return options;
  }

  /**
   * {@link #sessionOptions()} plus {@code session.disable_quant_qdq=1}, for {@link ClassifierModel}s.
   *
   * <p>Why: fine-tuned classifiers ship weight-only int8 (int8 initializers feeding
   * {@code DequantizeLinear}, fp32 activations). By default ONNX Runtime keeps every
   * {@code DequantizeLinear} in the graph so that QDQ fusions can see it (its {@code ConstantFolding}
   * skips them unless QDQ handling is disabled), which dequantises every weight, embedding table
   * included, on every run: measured 3 to 4 times slower than the same model with fp32 weights. With
   * this entry the weights are dequantised once at session creation (the model file stays int8; the
   * session holds fp32 weights, four times the file's size). Dynamic int8 models (MatMulInteger, no
   * QDQ weights, as the encoders are) are unaffected: same optimised graph, same outputs. Models
   * quantised statically with QDQ activations lose ORT's QDQ fusions and run in fp32; export
   * classifiers weight-only or dynamic instead.
   */
  public static OrtSession.SessionOptions classifierSessionOptions() throws OrtException {
    OrtSession.SessionOptions options = sessionOptions();
    options.addConfigEntry("session.disable_quant_qdq", "1");
    return options;
  }

  private static Path extractOrtNatives(Path base) {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      return null; // ORT's own extraction handles other platforms; only Linux is deployed.
    }
    String platform = arch.contains("aarch64") || arch.contains("arm64") ? "linux-aarch64" : "linux-x64";
    Path target = base.resolve("onnxruntime-" + ORT_VERSION + "-" + platform);
    String[] libs = {"libonnxruntime.so", "libonnxruntime4j_jni.so"};
    boolean complete = true;
    for (String lib : libs) {
      complete &= Files.isRegularFile(target.resolve(lib));
    }
    if (complete) {
      return target;
    }
    try {
      Files.createDirectories(target);
      for (String lib : libs) {
        String resource = "/ai/onnxruntime/native/" + platform + "/" + lib;
        try (InputStream in = OrtEnvironment.class.getResourceAsStream(resource)) {
          if (in == null) {
            return null;
          }
          // Copy then rename so a concurrent process never loads a half-written library.
          Path tmp = Files.createTempFile(target, lib, ".part");
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
          try {
            Files.move(tmp, target.resolve(lib), StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target.resolve(lib), StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract ONNX Runtime natives to " + target, e);
    }
  }
}
