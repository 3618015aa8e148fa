// The cockpit's first-screen budgets, measured in headless Chromium against a running hub:
// GraphQL requests until the screen is complete, the compressed bytes of its assets, and the
// time from navigation to a complete screen, cold (first visit) and warm (browser and
// response caches filled). Run by bench/cockpit/run.sh (it lives here for the npm packages
// of the browser tests); prints a Markdown table.
//
//   COCKPIT_URL  the hub's origin     TOKEN  a staff token     LOADS  warm loads (default 20)
import { chromium } from 'playwright-core';

const origin = process.env.COCKPIT_URL;
const token = process.env.TOKEN;
const loads = Number(process.env.LOADS || 20);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });

// One visit: requests, bytes and the time to the `cockpit-ready` mark.
async function visit(page, url) {
  let graphql = 0;
  const count = (request) => { if (request.url().endsWith('/graphql')) graphql += 1; };
  page.on('request', count);
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  page.off('request', count);
  return page.evaluate(() => {
    const ready = performance.getEntriesByName('cockpit-ready')[0];
    const resources = performance.getEntriesByType('resource').filter((entry) => !entry.name.endsWith('/graphql'));
    const navigation = performance.getEntriesByType('navigation')[0];
    const assets = [navigation, ...resources];
    return {
      readyMs: ready ? ready.startTime : NaN,
      error: document.body.dataset.ready.startsWith('error'),
      compressedBytes: assets.reduce((sum, entry) => sum + entry.encodedBodySize, 0),
      decodedBytes: assets.reduce((sum, entry) => sum + entry.decodedBodySize, 0),
      transferredBytes: assets.reduce((sum, entry) => sum + entry.transferSize, 0),
    };
  }).then((measured) => ({ ...measured, graphql }));
}

const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
const page = await context.newPage();
// Sign in once (the token stays in the tab's session storage), then load the first screen.
const cold = await visit(page, `${origin}/cockpit#token=${token}`);
const warm = [];
for (let i = 0; i < loads; i += 1) warm.push(await visit(page, `${origin}/cockpit?load=${i}`));
await browser.close();

if (cold.error || warm.some((measured) => measured.error)) {
  console.error('the cockpit answered an error');
  process.exit(1);
}
const times = warm.map((measured) => measured.readyMs).sort((a, b) => a - b);
const p = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
const kb = (bytes) => (bytes / 1024).toFixed(1);
console.log('| first screen | measured | budget |');
console.log('|---|---|---|');
console.log(`| GraphQL requests (cold / warm) | ${cold.graphql} / ${Math.max(...warm.map((m) => m.graphql))} | at most 2 |`);
console.log(`| assets, compressed (cold) | ${kb(cold.compressedBytes)} KB (${kb(cold.decodedBytes)} KB uncompressed) | at most 1,024 KB |`);
console.log(`| bytes over the wire, warm (304s) | ${kb(warm[warm.length - 1].transferredBytes)} KB | |`);
console.log(`| ready, cold (first visit, caches empty) | ${cold.readyMs.toFixed(0)} ms | |`);
console.log(`| ready, warm: p50 / p90 / max of ${loads} | ${p(0.5).toFixed(0)} / ${p(0.9).toFixed(0)} / ${times[times.length - 1].toFixed(0)} ms | at most 1,000 ms |`);
