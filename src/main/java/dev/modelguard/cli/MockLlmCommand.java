package dev.modelguard.cli;

import dev.modelguard.demo.MockLlm;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code modelguard mock-llm}: the demo's OpenAI-compatible mock LLM on its own, for compose files and benchmarks. */
@Command(name = "mock-llm", mixinStandardHelpOptions = true,
    description = "Run the built-in OpenAI-compatible mock LLM (no model; echoes prompts).")
public class MockLlmCommand implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "9000", description = "port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--chunk-delay-ms", defaultValue = "0",
      description = "pause between streamed chunks, to imitate token generation (default: ${DEFAULT-VALUE})")
  long chunkDelayMs;

  @Override
  public Integer call() throws Exception {
    Vertx vertx = Vertx.vertx();
    MockLlm mock = new MockLlm(vertx, chunkDelayMs);
    mock.start(host, port).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.err.printf("mock LLM listening on http://%s:%d/v1%n", host, mock.port());
    // Runs until the process is stopped; never returns (see ServeCommand.awaitShutdown).
    Runtime.getRuntime().addShutdownHook(new Thread(vertx::close));
    new CountDownLatch(1).await();
    return 0;
  }
}
