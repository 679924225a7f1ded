#!/usr/bin/env node
// Records the HARs of every scenario in a scenarios folder with a real Chromium:
//   <out>/<scenario>.har            Playwright recordHar (context-level recorder)
//   <out>/<scenario>.cdp.har        same run, raw CDP Network/Page events of the page
//                                   converted with the chrome-har npm package
//   <out>/<scenario>.sanitized.har  the .cdp.har as Chrome DevTools' default
//                                   "Export HAR (sanitized)" would leave it
//                                   (sanitize_har.mjs)
//   <out>/<scenario>.truth.jsonl    server-side ground truth (sorted by seq)
//   <out>/<scenario>.config.json    scenario file + effective server config + run metadata
//
// Usage: node record.mjs [--scenarios DIR] [--out DIR] [--only a,b] [--no-cdp]
//        [--content embed|omit] [--chromium /usr/bin/chromium] [--cdp-raw]
// --scenarios defaults to fixtures/lab/scenarios/ of the repository, --out to captures/ next to
// this file; relative paths are taken from the current directory.
// --only keeps scenarios whose name equals an item or starts with "<item>_".
// --cdp-raw also writes <scenario>.cdp-events.jsonl (the raw CDP events, for
// re-converting with another tool).
// --server FILE runs another Python lab server with server.py's arguments and READY line
// (gateway/lab_gateway.py: real limiters); its READY may name a separate control_port.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { harFromMessages } from 'chrome-har';
import { sanitizeHar } from './sanitize_har.mjs';

const LAB = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const a = { scenarios: path.join(LAB, '..', '..', 'fixtures', 'lab', 'scenarios'), out: path.join(LAB, 'captures'), only: null,
    cdp: true, content: 'embed', chromium: '/usr/bin/chromium', cdpRaw: false,
    server: path.join(LAB, 'server.py') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--out') a.out = path.resolve(argv[++i]);
    else if (k === '--scenarios') a.scenarios = path.resolve(argv[++i]);
    else if (k === '--only') a.only = argv[++i].split(',').filter(Boolean);
    else if (k === '--no-cdp') a.cdp = false;
    else if (k === '--cdp-raw') a.cdpRaw = true;
    else if (k === '--content') a.content = argv[++i];
    else if (k === '--chromium') a.chromium = argv[++i];
    else if (k === '--server') a.server = path.resolve(argv[++i]);
    else throw new Error('unknown argument ' + k);
  }
  return a;
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const CDP_EVENTS = [
  'Network.requestWillBeSent', 'Network.requestWillBeSentExtraInfo',
  'Network.responseReceived', 'Network.responseReceivedExtraInfo',
  'Network.dataReceived', 'Network.loadingFinished', 'Network.loadingFailed',
  'Network.requestServedFromCache', 'Network.resourceChangedPriority',
  'Page.frameStartedLoading', 'Page.frameRequestedNavigation', 'Page.navigatedWithinDocument',
  'Page.loadEventFired', 'Page.domContentEventFired', 'Page.frameAttached',
];

function startServer(serverFile, scenarioFile, truthRaw, effOut) {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [serverFile, '--config', scenarioFile,
      '--truth', truthRaw, '--effective-config-out', effOut], { stdio: ['ignore', 'pipe', 'inherit'] });
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error('server did not start')), 15000);
    rl.on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolve({ child, ...JSON.parse(line.slice(6)) });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error('server exited ' + code)); });
  });
}

async function stopServer(srv) {
  if (srv.child.exitCode !== null) return;
  const exited = new Promise((r) => srv.child.once('exit', r));
  process.kill(srv.child.pid, 'SIGTERM'); // by PID, the one we spawned
  // generous: a gateway run stops nginx gracefully and writes its truth before it exits
  const t = setTimeout(() => { try { process.kill(srv.child.pid, 'SIGKILL'); } catch {} }, 30000);
  await exited;
  clearTimeout(t);
}

async function control(srv, what) {
  const port = srv.control_port || srv.api_port;
  const r = await fetch(`http://127.0.0.1:${port}/__lab/${what}`, { method: 'POST' });
  if (!r.ok) throw new Error(`control ${what} -> ${r.status}`);
}

async function recordScenario(name, opts, meta) {
  const scenarioFile = path.join(opts.scenarios, name + '.json');
  const scenario = JSON.parse(fs.readFileSync(scenarioFile, 'utf8'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'harlab-'));
  const truthRaw = path.join(tmp, 'truth.raw.jsonl');
  const effPath = path.join(tmp, 'effective.json');
  const harPath = path.join(opts.out, name + '.har');
  const srv = await startServer(opts.server, scenarioFile, truthRaw, effPath);
  const started = new Date();
  let browser;
  const cdpMessages = [];
  let pageResult = null;
  try {
    browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS });
    meta.browser_version = browser.version();
    // chromium.launch() gives every browser a fresh temporary user-data dir.
    const context = await browser.newContext({
      recordHar: { path: harPath, content: opts.content, mode: 'full' },
    });
    const page = await context.newPage();
    const bodyJobs = [];
    if (opts.cdp) {
      const cdp = await context.newCDPSession(page);
      const responses = new Map();
      for (const ev of CDP_EVENTS) {
        cdp.on(ev, (params) => {
          const msg = { method: ev, params };
          cdpMessages.push(msg);
          if (ev === 'Network.responseReceived') responses.set(params.requestId, params);
          if (ev === 'Network.loadingFinished' && responses.has(params.requestId)) {
            const rr = responses.get(params.requestId);
            bodyJobs.push(cdp.send('Network.getResponseBody', { requestId: params.requestId })
              .then((b) => { rr.response.body = b.base64Encoded ? Buffer.from(b.body, 'base64').toString('utf8') : b.body; })
              .catch(() => {}));
          }
        });
      }
      await cdp.send('Page.enable');
      await cdp.send('Network.enable');
    }
    await control(srv, 'start');
    const url = `http://127.0.0.1:${srv.page_port}/index.html`;
    await page.goto(url);
    const maxS = (scenario.max_duration_s || 120) + 30;
    await page.waitForFunction(() => window.__labDone === true, null, { timeout: maxS * 1000, polling: 250 });
    pageResult = await page.evaluate(() => window.__labResult);
    await page.waitForTimeout(500);
    await Promise.all(bodyJobs);
    await context.close(); // writes the Playwright HAR
  } finally {
    if (browser) await browser.close();
    try { await control(srv, 'stop'); } catch {}
    await stopServer(srv);
  }
  const finished = new Date();

  // ground truth, sorted by arrival sequence
  const lines = fs.readFileSync(truthRaw, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  lines.sort((a, b) => a.seq - b.seq);
  fs.writeFileSync(path.join(opts.out, name + '.truth.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

  if (opts.cdp) {
    const har = harFromMessages(cdpMessages, { includeTextFromResponseBody: true });
    har.log.creator.comment = 'chrome-har conversion of CDP Network/Page events of the same run';
    fs.writeFileSync(path.join(opts.out, name + '.cdp.har'), JSON.stringify(har, null, 2));
    fs.writeFileSync(path.join(opts.out, name + '.sanitized.har'), JSON.stringify(sanitizeHar(har), null, 2));
    if (opts.cdpRaw) {
      fs.writeFileSync(path.join(opts.out, name + '.cdp-events.jsonl'),
        cdpMessages.map((m) => JSON.stringify(m)).join('\n') + '\n');
    }
  }

  const effective = JSON.parse(fs.readFileSync(effPath, 'utf8'));
  const cfgOut = {
    scenario: name,
    description: scenario.description,
    scenario_file: scenario,
    effective_server_config: effective,
    run: {
      started: started.toISOString(),
      finished: finished.toISOString(),
      api_origin: `http://127.0.0.1:${srv.api_port}`,
      page_origin: `http://127.0.0.1:${srv.page_port}`,
      browser: 'chromium ' + meta.browser_version,
      chromium_args: CHROMIUM_ARGS,
      playwright_core: meta.playwright_version,
      chrome_har: opts.cdp ? meta.chrome_har_version : null,
      har_content: opts.content,
      page_attempts: pageResult ? pageResult.attempts.length : null,
      page_ok: pageResult ? pageResult.ok : false,
    },
  };
  fs.writeFileSync(path.join(opts.out, name + '.config.json'), JSON.stringify(cfgOut, null, 2) + '\n');
  fs.rmSync(tmp, { recursive: true, force: true });
  return { name, attempts: pageResult ? pageResult.attempts.length : 0, truth: lines.length,
    seconds: (finished - started) / 1000 };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  fs.mkdirSync(opts.out, { recursive: true });
  const all = fs.readdirSync(opts.scenarios).filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, '')).sort();
  const names = opts.only ? all.filter((n) => opts.only.some((o) => n === o || n.startsWith(o + '_'))) : all;
  if (!names.length) throw new Error('no scenario matched');
  const meta = {
    playwright_version: require('playwright-core/package.json').version,
    chrome_har_version: JSON.parse(fs.readFileSync(path.join(LAB, 'node_modules', 'chrome-har', 'package.json'), 'utf8')).version,
  };
  // a scenario that fails (a page that never finishes) is reported and its partial outputs
  // removed, so the rest of a batch is still recorded and nothing half-written is scored
  const failed = [];
  for (const n of names) {
    process.stdout.write(`recording ${n} ... `);
    try {
      const r = await recordScenario(n, opts, meta);
      console.log(`${r.attempts} page attempts, ${r.truth} truth lines, ${r.seconds.toFixed(1)} s`);
    } catch (e) {
      console.log(`FAILED: ${String(e && e.message || e).split('\n')[0]}`);
      failed.push(n);
      for (const ext of ['.har', '.cdp.har', '.sanitized.har', '.truth.jsonl', '.config.json', '.cdp-events.jsonl']) {
        fs.rmSync(path.join(opts.out, n + ext), { force: true });
      }
    }
  }
  if (failed.length) {
    console.error(`${failed.length} of ${names.length} scenarios failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
