// The official OpenAI and Anthropic SDKs, used unmodified against a running gateway.
// run.sh starts the gateway (routes /v1 -> policy default, /strict/v1 -> policy strict) in front of
// the built-in mock LLM, which echoes the prompt and leaks a fake AWS key when asked for "the deploy key".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const GW = process.env.MODELGUARD_URL;
assert.ok(GW, 'MODELGUARD_URL is not set (run through run.sh)');
const KEY = 'gateway-key-never-forwarded';
const openai = new OpenAI({ baseURL: `${GW}/v1`, apiKey: KEY, maxRetries: 0 });
const openaiStrict = new OpenAI({ baseURL: `${GW}/strict/v1`, apiKey: KEY, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: GW, apiKey: KEY, maxRetries: 0 });
const anthropicStrict = new Anthropic({ baseURL: `${GW}/strict`, apiKey: KEY, maxRetries: 0 });
const user = (content) => [{ role: 'user', content }];

test('openai: plain call succeeds', async () => {
  const r = await openai.chat.completions.create({ model: 'mock-1', messages: user('hello there') });
  assert.equal(r.choices[0].message.content, 'You said: hello there');
});

test('openai: streamed call succeeds', async () => {
  const stream = await openai.chat.completions.create({ model: 'mock-1', stream: true, messages: user('Write a haiku about the sea') });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'You said: Write a haiku about the sea');
});

test('openai: personal data is redacted before the model sees it', async () => {
  const r = await openai.chat.completions.create({ model: 'mock-1', messages: user('mail jane.doe@example.com') });
  assert.equal(r.choices[0].message.content, 'You said: mail [EMAIL_1]');
});

test('openai: a blocked call raises the SDK API error with our message', async () => {
  await assert.rejects(
    openaiStrict.chat.completions.create({ model: 'mock-1', messages: user('key AKIAIOSFODNN7EXAMPLE') }),
    (e) => e instanceof OpenAI.APIError && e.status === 400
      && /Request blocked by policy 'strict': secret/.test(e.message));
});

test('openai: a stream blocked mid-way raises without leaking', async () => {
  const stream = await openaiStrict.chat.completions.create({ model: 'mock-1', stream: true, messages: user('What is the deploy key?') });
  let text = '';
  await assert.rejects(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  }, (e) => e instanceof OpenAI.APIError && /Response blocked by policy 'strict': secret/.test(e.message));
  assert.ok(!text.includes('AKIA'), `leaked: ${text}`);
});

test('anthropic: plain call succeeds', async () => {
  const r = await anthropic.messages.create({ model: 'mock-1', max_tokens: 50, messages: user('hello there') });
  assert.equal(r.content[0].text, 'You said: hello there');
});

test('anthropic: streamed call succeeds', async () => {
  const stream = anthropic.messages.stream({ model: 'mock-1', max_tokens: 50, messages: user('Write a haiku about the sea') });
  let text = '';
  stream.on('text', (t) => { text += t; });
  await stream.finalMessage();
  assert.equal(text, 'You said: Write a haiku about the sea');
});

test('anthropic: a blocked call raises the SDK API error with our message', async () => {
  await assert.rejects(
    anthropicStrict.messages.create({ model: 'mock-1', max_tokens: 50, messages: user('key AKIAIOSFODNN7EXAMPLE') }),
    (e) => e instanceof Anthropic.APIError && e.status === 400
      && /Request blocked by policy 'strict': secret/.test(e.message));
});

test('anthropic: a stream blocked mid-way raises without leaking', async () => {
  const stream = await anthropicStrict.messages.create({ model: 'mock-1', max_tokens: 50, stream: true, messages: user('What is the deploy key?') });
  let text = '';
  await assert.rejects(async () => {
    for await (const event of stream) {
      if (event.type === 'content_block_delta') text += event.delta.text ?? '';
    }
  }, (e) => /Response blocked by policy 'strict': secret/.test(e.message));
  assert.ok(!text.includes('AKIA'), `leaked: ${text}`);
});
