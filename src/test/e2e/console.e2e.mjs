// End-to-end test of the admin console in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser is downloaded). Starts the built gateway jar in front of
// its own mock LLM with a demo-like config and an admin token, sends an allowed, a redacted and a
// blocked request, then in the browser: a wrong token is refused, the right one signs in,
// filtering by verdict=block lists only blocked events, opening one shows the finding
// highlighted in the stored text, and a screenshot is saved to target/console.png.
//
// Usage (from the repository root, after `mvn package`): node src/test/e2e/console.e2e.mjs
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';

const root = resolve(process.cwd());
const jar = join(root, 'target', 'modelguard.jar');
const TOKEN = 'e2e-admin-token';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const children = [];

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}

/** Starts `java -jar modelguard.jar ARGS` and resolves with the port it prints once listening. */
function startJar(args, pattern) {
  return new Promise((ok, fail) => {
    const p = spawn('java', ['-jar', jar, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    let seen = '';
    const timer = setTimeout(() => fail(new Error('timed out starting ' + args.join(' ') + ':\n' + seen)), 60000);
    const onData = (d) => {
      seen += d.toString();
      const m = seen.match(pattern);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => { clearTimeout(timer); fail(new Error(args[0] + ' exited with ' + code + ':\n' + seen)); });
  });
}

function chat(text) {
  return JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text }] });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'modelguard-e2e-'));
  const mockPort = await freePort();
  await startJar(['mock-llm', '--port', String(mockPort)], /mock LLM listening on http:\/\/[^:]+:(\d+)/);
  // The shipped policies, plus one that blocks credentials and keeps the redacted text (strict
  // keeps no text at all), so a blocked event has a finding to highlight.
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  readdirSync(join(root, 'policies')).filter((f) => f.endsWith('.yaml'))
    .forEach((f) => copyFileSync(join(root, 'policies', f), join(policies, f)));
  writeFileSync(join(policies, 'e2e-block.yaml'), [
    'version: 1', 'name: e2e-block', 'prompt:', '  - guard: secrets', '    action: block', ''].join('\n'));
  const config = join(dir, 'gateway.yaml');
  writeFileSync(config, [
    'listen: {host: 127.0.0.1, port: 0}',
    'policies: policies',
    'audit:',
    '  path: audit/audit.jsonl',
    'admin:',
    `  token: ${TOKEN}`,
    'upstreams:',
    `  mock: {url: "http://127.0.0.1:${mockPort}"}`,
    'routes:',
    '  - {path: /v1, upstream: mock, policy: default}',
    '  - {path: /block/v1, upstream: mock, policy: e2e-block, strip_prefix: /block}',
    `guard_models: [${JSON.stringify(join(root, 'guard-models'))}]`,
    '',
  ].join('\n'));
  const port = await startJar(['serve', '--config', config], /modelguard listening on http:\/\/[^:]+:(\d+)/);
  const base = `http://127.0.0.1:${port}`;

  const post = (path, body) => fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  assert.equal((await post('/v1/chat/completions', chat('Suggest a name for a bakery'))).status, 200);
  assert.equal((await post('/v1/chat/completions', chat('Write to jane.doe@example.com today'))).status, 200);
  const blocked = await post('/block/v1/chat/completions', chat(`deploy with key ${AWS_KEY} now`));
  assert.equal(blocked.status, 400);
  const blockedId = blocked.headers.get('x-modelguard-request-id');

  // The audit write is asynchronous: wait until the API sees the blocked event.
  for (let i = 0; ; i++) {
    const r = await fetch(`${base}/admin/api/audit?verdict=block`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    if ((await r.json()).total >= 1) break;
    if (i > 50) throw new Error('blocked event never appeared in the audit API');
    await new Promise((r2) => setTimeout(r2, 100));
  }

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${base}/admin/`);
    await page.fill('#token', 'not-the-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:has-text("not accepted")');
    assert.equal(await page.isHidden('#app'), true);

    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#policies tbody tr');
    const policyNames = await page.$$eval('#policies tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
    assert.ok(policyNames.includes('e2e-block') && policyNames.includes('default'), policyNames.join(','));
    assert.ok(await page.evaluate(() => sessionStorage.getItem('modelguard-admin-token')) === TOKEN);

    await page.selectOption('select[name=verdict]', 'block');
    await page.click('#search');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#events tbody tr')];
      return rows.length > 0 && rows.every((r) => r.children[3].textContent.startsWith('block'));
    });
    const rows = await page.$$eval('#events tbody tr', (trs) => trs.map((t) => t.dataset.requestId));
    assert.deepEqual(rows, [blockedId]);
    assert.ok(await page.$('#chart-verdicts svg rect[data-verdict=block]'), 'verdict chart shows the block');
    assert.ok(await page.$('#chart-categories svg rect[data-category=secret]'), 'category chart shows secret');

    await page.click(`#events tbody tr[data-request-id="${blockedId}"]`);
    await page.waitForSelector('#detail:not([hidden]) mark.finding');
    const mark = await page.$eval('#detail mark.finding', (m) => ({ text: m.textContent, category: m.dataset.category }));
    assert.match(mark.text, /^\[AWS_ACCESS_KEY_\d+\]$/);
    assert.equal(mark.category, 'secret');
    const stored = await page.$eval('#detail pre.text', (p) => p.textContent);
    assert.ok(!stored.includes(AWS_KEY), 'the raw key is never shown: ' + stored);

    mkdirSync(join(root, 'target'), { recursive: true });
    await page.screenshot({ path: join(root, 'target', 'console.png'), fullPage: true });
    assert.deepEqual(external, [], 'the console loads nothing from elsewhere');
    assert.deepEqual(errors, [], 'no script errors');
    console.log('console e2e: OK (screenshot in target/console.png)');
  } finally {
    await browser.close();
  }
}

/** Stops the started processes (SIGTERM, then SIGKILL after 10 s) and waits for them. */
async function stopChildren() {
  await Promise.all(children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) =>
    new Promise((done) => {
      const force = setTimeout(() => c.kill('SIGKILL'), 10000);
      c.removeAllListeners('exit');
      c.on('exit', () => { clearTimeout(force); done(); });
      c.kill('SIGTERM');
    })));
}

main().then(async () => {
  await stopChildren();
  process.exit(0);
}, async (e) => {
  console.error('console e2e: FAILED\n' + (e.stack || e));
  await stopChildren();
  process.exit(1);
});
