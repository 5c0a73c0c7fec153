package dev.modelguard.guard.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A batch of texts tokenised and padded to its longest member, ready to become ONNX inputs. */
final class TokenizedBatch {
  final int rows;
  final int length;
  final long[] ids;
  final long[] mask;

  private TokenizedBatch(int rows, int length, long[] ids, long[] mask) {
    this.rows = rows;
    this.length = length;
    this.ids = ids;
    this.mask = mask;
  }

  /**
   * Loads a tokenizer that truncates at {@code maxLength} and pads nothing itself: the pinned
   * padding/truncation of a shipped {@code tokenizer.json} (MiniLM's pins 128) is overridden here.
   */
  static HuggingFaceTokenizer loadTokenizer(InputStream json, int maxLength) throws IOException {
    ModelRuntime.ensureInitialized();
    Map<String, String> options = new HashMap<>();
    options.put("padding", "false");
    options.put("truncation", "true");
    options.put("maxLength", Integer.toString(maxLength));
    options.put("modelMaxLength", Integer.toString(maxLength));
    return HuggingFaceTokenizer.newInstance(json, options);
  }

  /** Tokenises and pads to the longest text of the batch (pad id 0, mask 0). */
  static TokenizedBatch of(HuggingFaceTokenizer tokenizer, List<String> texts) {
    Encoding[] encodings = tokenizer.batchEncode(texts);
    int longest = 1;
    for (Encoding e : encodings) {
      longest = Math.max(longest, e.getIds().length);
    }
    long[] ids = new long[encodings.length * longest];
    long[] mask = new long[encodings.length * longest];
    for (int r = 0; r < encodings.length; r++) {
      long[] rowIds = encodings[r].getIds();
      long[] rowMask = encodings[r].getAttentionMask();
      System.arraycopy(rowIds, 0, ids, r * longest, rowIds.length);
      System.arraycopy(rowMask, 0, mask, r * longest, rowMask.length);
    }
    return new TokenizedBatch(encodings.length, longest, ids, mask);
  }

  /** The ONNX inputs the model declares, out of input_ids, attention_mask and token_type_ids. */
  Map<String, OnnxTensor> inputs(OrtEnvironment env, Set<String> declared) throws OrtException {
    long[] shape = {rows, length};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      if (declared.contains("attention_mask")) {
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      }
      if (declared.contains("token_type_ids")) {
        inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
      }
    } catch (OrtException e) {
      inputs.values().forEach(OnnxTensor::close);
      throw e;
    }
    return inputs;
  }
}
