// Modelguard audit console: plain DOM code against the admin API (/admin/api/*).
// The token lives in sessionStorage only, so it is gone when the tab closes.
(function () {
  'use strict';
  const TOKEN_KEY = 'modelguard-admin-token';
  const PAGE = 50;
  const VERDICTS = ['allow', 'flag', 'redact', 'block'];
  const COLORS = { allow: '#3a8f5c', flag: '#c79a1e', redact: '#3c6fd1', block: '#c8413b' };
  const $ = (sel) => document.querySelector(sel);
  let offset = 0;
  let total = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === 'class') node.className = v; else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    children.forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  }

  class Unauthorized extends Error {}

  async function api(path) {
    const res = await fetch(path, { headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) } });
    if (res.status === 401) throw new Unauthorized('wrong token');
    const body = await res.json();
    if (!res.ok) throw new Error((body.error && body.error.message) || ('HTTP ' + res.status));
    return body;
  }

  function filterQuery() {
    const params = new URLSearchParams();
    new FormData($('#filters')).forEach((v, k) => { if (String(v).trim() !== '') params.set(k, String(v).trim()); });
    return params;
  }

  function showLogin(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#app').hidden = true;
    $('#logout').hidden = true;
    $('#login').hidden = false;
    $('#login-error').textContent = message || '';
  }

  async function start() {
    try {
      await loadPolicies();
    } catch (e) {
      showLogin(e instanceof Unauthorized ? 'That token was not accepted.' : e.message);
      return;
    }
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#logout').hidden = false;
    await refresh();
  }

  async function refresh() {
    try {
      await Promise.all([loadEvents(), loadStats()]);
    } catch (e) {
      if (e instanceof Unauthorized) showLogin('Your session expired; sign in again.');
      else $('#count').textContent = 'error: ' + e.message;
    }
  }

  async function loadEvents() {
    const q = filterQuery();
    q.set('limit', PAGE);
    q.set('offset', offset);
    const page = await api('/admin/api/audit?' + q);
    total = page.total;
    const body = $('#events tbody');
    body.replaceChildren();
    page.events.forEach((e) => {
      const row = el('tr', { 'data-request-id': e.request_id },
        el('td', {}, e.ts), el('td', {}, el('code', {}, e.request_id)), el('td', {}, e.direction),
        el('td', { class: 'verdict verdict-' + e.verdict }, e.verdict + (e.enforced === false ? ' (monitor)' : '')),
        el('td', {}, e.status), el('td', {}, e.policy), el('td', {}, e.tenant || '-'), el('td', {}, e.route),
        el('td', {}, (e.categories || []).join(', ') || '-'));
      row.addEventListener('click', () => openDetail(e.request_id));
      body.append(row);
    });
    const last = Math.min(offset + page.events.length, total);
    $('#count').textContent = total === 0 ? '(none match)' : '(' + (offset + 1) + '–' + last + ' of ' + total + ')';
    $('#prev').disabled = offset === 0;
    $('#next').disabled = offset + PAGE >= total;
  }

  // Offsets are UTF-16 indices into the stored text, which is exactly how JS strings index.
  function highlighted(text, findings) {
    const pre = el('pre', { class: 'text' });
    const spans = (findings || []).filter((f) => f.end > f.start && f.end <= text.length)
      .sort((a, b) => a.start - b.start || b.end - a.end);
    let at = 0;
    spans.forEach((f) => {
      if (f.start < at) return; // overlapping finding: the earlier, longer one is already marked
      pre.append(text.slice(at, f.start));
      pre.append(el('mark', { class: 'finding action-' + f.action, title: f.category + (f.label ? ' / ' + f.label : '')
        + ' (' + f.detector + ', score ' + f.score + ', ' + f.action + ')', 'data-category': f.category },
      text.slice(f.start, f.end)));
      at = f.end;
    });
    pre.append(text.slice(at));
    return pre;
  }

  async function openDetail(id) {
    const r = await api('/admin/api/audit/' + encodeURIComponent(id));
    $('#detail-id').textContent = id;
    const body = $('#detail-body');
    body.replaceChildren();
    r.events.forEach((e) => {
      const box = el('div', { class: 'event' },
        el('div', { class: 'meta' }, e.direction + ' · ', el('span', { class: 'verdict verdict-' + e.verdict }, e.verdict),
          ' · policy ' + e.policy + ' (' + e.policy_version.slice(0, 19) + '…) · status ' + e.status
          + ' · ' + e.ts + (e.tenant ? ' · tenant ' + e.tenant : '')),
        el('ul', { class: 'findings' }, (e.findings || []).map((f) => el('li', {},
          f.category + (f.label ? ' / ' + f.label : '') + ' by ' + f.detector + ' → ' + f.action
          + ' [' + f.start + ', ' + f.end + ')'))));
      if (typeof e.text === 'string') box.append(highlighted(e.text, e.findings));
      else box.append(el('p', { class: 'muted' }, 'No text stored (audit.text: none).'));
      (e.errors || []).forEach((x) => box.append(el('p', { class: 'error' }, x.guard + ': ' + x.message)));
      body.append(box);
    });
    $('#detail').hidden = false;
    $('#detail').scrollIntoView({ block: 'nearest' });
  }

  async function loadStats() {
    const q = filterQuery();
    q.set('by', 'hour');
    const s = await api('/admin/api/stats?' + q);
    drawVerdicts(s.buckets);
    drawCategories(s.buckets, s.by_category);
  }

  function drawVerdicts(buckets) {
    const W = 600; const H = 180; const pad = 24;
    const box = $('#chart-verdicts');
    const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'verdicts per hour' });
    const max = Math.max(1, ...buckets.map((b) => b.events));
    const bw = buckets.length ? Math.min(40, (W - pad) / buckets.length) : 0;
    buckets.forEach((b, i) => {
      let y = H - pad;
      VERDICTS.forEach((v) => {
        const n = b.by_verdict[v] || 0;
        if (!n) return;
        const h = (n / max) * (H - 2 * pad);
        y -= h;
        chart.append(svg('rect', { x: pad + i * bw + 2, y, width: Math.max(1, bw - 4), height: h, fill: COLORS[v],
          'data-verdict': v }, svg('title', {}, b.start + ': ' + n + ' ' + v)));
      });
      if (i === 0 || i === buckets.length - 1) {
        chart.append(svg('text', { x: pad + i * bw, y: H - 8 }, b.start.slice(5, 16).replace('T', ' ')));
      }
    });
    chart.append(svg('text', { x: 0, y: 12 }, String(max)));
    VERDICTS.forEach((v, i) => chart.append(svg('text', { x: W - 60, y: 12 + i * 12, class: 'legend-' + v }, '■ ' + v)));
    box.replaceChildren(chart);
  }

  // Events per category and time bucket, stacked, for the most frequent categories.
  function drawCategories(buckets, byCategory) {
    const W = 300; const H = 180; const pad = 24;
    const top = Object.entries(byCategory).sort((a, b) => b[1] - a[1]).slice(0, 6).map((e) => e[0]);
    const chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'categories per hour' });
    const totals = buckets.map((b) => top.reduce((n, c) => n + (b.by_category[c] || 0), 0));
    const max = Math.max(1, ...totals);
    const bw = buckets.length ? Math.min(30, (W - 110) / buckets.length) : 0;
    buckets.forEach((b, i) => {
      let y = H - pad;
      top.forEach((c, k) => {
        const n = b.by_category[c] || 0;
        if (!n) return;
        const h = (n / max) * (H - 2 * pad);
        y -= h;
        chart.append(svg('rect', { x: pad + i * bw + 2, y, width: Math.max(1, bw - 4), height: h,
          class: 'cat-' + k, 'data-category': c }, svg('title', {}, b.start + ': ' + n + ' ' + c)));
      });
    });
    chart.append(svg('text', { x: 0, y: 12 }, String(max)));
    top.forEach((c, k) => chart.append(svg('text', { x: W - 100, y: 12 + k * 12, class: 'cat-' + k }, '■ ' + c)));
    if (!top.length) chart.append(svg('text', { x: pad, y: H / 2 }, 'no findings'));
    $('#chart-categories').replaceChildren(chart);
  }

  async function loadPolicies() {
    const p = await api('/admin/api/policies');
    const body = $('#policies tbody');
    body.replaceChildren();
    p.policies.forEach((x) => body.append(el('tr', {}, el('td', {}, x.name), el('td', {}, el('code', {}, x.version)),
      el('td', {}, x.mode), el('td', {}, x.prompt_guards), el('td', {}, x.response_guards))));
    $('#policy-error').textContent = p.lastError ? 'Last reload failed: ' + p.lastError : 'Last reload: no errors.';
  }

  $('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value);
    $('#token').value = '';
    start();
  });
  $('#logout').addEventListener('click', () => showLogin(''));
  $('#filters').addEventListener('submit', (ev) => { ev.preventDefault(); offset = 0; refresh(); });
  $('#prev').addEventListener('click', () => { offset = Math.max(0, offset - PAGE); loadEvents(); });
  $('#next').addEventListener('click', () => { offset += PAGE; loadEvents(); });
  $('#close-detail').addEventListener('click', () => { $('#detail').hidden = true; });
  if (sessionStorage.getItem(TOKEN_KEY)) start(); else showLogin('');
}());
