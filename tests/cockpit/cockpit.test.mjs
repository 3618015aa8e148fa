// The cockpit in a real browser (Debian's Chromium, headless, driven by playwright-core),
// against a running hub with the demo city. Started by tests/cockpit.rs, which seeds the
// city, starts the hub and passes:
//
//   COCKPIT_URL         the hub's origin, e.g. http://127.0.0.1:41234
//   CITY_TOKEN          a token of the city's leadership
//   DISTRICT_TOKEN      a token of a district's leadership
//   OTHER_DISTRICT_ID   another district's ID (the district leader must not see it)
//   ARTIFACTS           where screenshots and the downloaded workbook are kept
//   FRONT_END_PORT      a free port for a front end on another origin, which the hub's
//                       CORS allows as http://127.0.0.1:<port>
//   CHROMIUM            the browser (default /usr/bin/chromium)
//
// Every check compares what the page shows with what the public GraphQL endpoint answers
// the same token. Exits non-zero at the first failed check.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import readExcelFile from 'read-excel-file/node';

const origin = process.env.COCKPIT_URL;
const artifacts = process.env.ARTIFACTS;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
for (const name of ['COCKPIT_URL', 'CITY_TOKEN', 'DISTRICT_TOKEN', 'OTHER_DISTRICT_ID', 'ARTIFACTS', 'FRONT_END_PORT']) {
  assert.ok(process.env[name], `${name} is not set`);
}
await mkdir(artifacts, { recursive: true });

const FIGURES = {
  organizationFigures: ['units', 'newUnits', 'termsOverdue', 'partyBuildingActivities', 'mediaReports'],
  talentFigures: ['workers', 'volunteers', 'ruralExperts', 'honors', 'nominations', 'workstations'],
  innovationFigures: ['techNeeds', 'resolvedTechNeeds', 'contracts', 'contractValue', 'transfers', 'scienceResults', 'serviceVisits', 'problemsSolved', 'events'],
  popularizationFigures: ['activities', 'participants', 'onlineReach', 'venues', 'openVenues'],
  adviceFigures: ['submissions', 'adoptedSubmissions', 'adoptionRate', 'instructions', 'researchTopics', 'consultationReports'],
};
const SERVICE_KEYS = {
  organizationFigures: 'organization', talentFigures: 'talent', innovationFigures: 'innovation',
  popularizationFigures: 'popularization', adviceFigures: 'advice',
};

async function graphql(token, query, variables) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.ok(!body.errors, `GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// Today in China (UTC+8), as the hub counts days.
const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);

// What the cards of a year count: the whole year, or for the running year its days up to
// today (compared with the same days a year earlier).
function countedYear(year) {
  return String(year) === today.slice(0, 4) ? { from: `${year}-01-01`, to: today } : { year };
}

// The figures of a unit for a year as the cards count it, and its targets of the year, as
// the endpoint answers them.
async function figuresOf(token, unit, year) {
  const selection = Object.entries(FIGURES).map(([field, names]) => `${field}(period: $period) { ${names.join(' ')} }`).join(' ');
  const data = await graphql(token, `query($unit: ID!, $period: PeriodInput!, $year: Int!) { unit(id: $unit) { id name ${selection}
    children(first: 100) { edges { node { id name kind } } } targets(year: $year) { id metric onTrack attainment } } }`,
  { unit, period: countedYear(year), year });
  return data.unit;
}

let step = 0;
async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: path.join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

// Waits until the page has finished loading the screen it is on (cards, league, targets,
// map and trend drawn), or shows an error.
async function ready(page, previous) {
  await page.waitForFunction((before) => {
    const value = document.body.dataset.ready;
    return value && value !== before;
  }, previous ?? null, { timeout: 20000 });
  return page.evaluate(() => document.body.dataset.ready);
}

async function cardValues(page) {
  return page.$$eval('.card', (cards) => Object.fromEntries(cards.map((card) => [card.dataset.figure, card.dataset.value])));
}

function assertCardsEqual(cards, unit) {
  for (const [field, names] of Object.entries(FIGURES)) {
    for (const name of names) {
      const expected = unit[field][name];
      const shown = cards[`${SERVICE_KEYS[field]}.${name}`];
      assert.ok(shown !== undefined, `no card for ${field}.${name}`);
      assert.equal(shown === '' ? null : Number(shown), expected, `card ${field}.${name}`);
    }
  }
}

const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  const graphqlRequests = [];
  page.on('request', (request) => {
    // What the screen loads, not a figure's meaning asked for by hovering.
    if (request.url().endsWith('/graphql') && !(request.postData() || '').includes('CockpitDescriptions')) graphqlRequests.push(request);
  });
  const failedAssets = [];
  page.on('requestfailed', (request) => failedAssets.push(request.url()));
  const consoleErrors = [];
  page.on('console', (message) => {
    // Chromium logs every 4xx answer; those are checked below, by URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text());
  });
  page.on('response', (response) => {
    // A level without boundary data answers 404 for its map; nothing else may fail.
    const missingMap = response.status() === 404 && response.url().includes('/cockpit/maps/');
    if (response.status() >= 400 && !missingMap) failedAssets.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(error.stack || error.message));

  // The first screen offers the demo sign-ins.
  await page.goto(`${origin}/cockpit`);
  await page.waitForSelector('#demo-sign-ins:not([hidden]) a.demo-sign-in');
  const links = await page.$$eval('a.demo-sign-in', (anchors) => anchors.map((a) => a.textContent));
  assert.ok(links.some((text) => text.includes('市科协领导')), `demo sign-ins: ${links}`);
  await shot(page, 'sign-in');

  // Every request of the page stays on the hub's origin.
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['data:', 'blob:'].includes(url.protocol)) assert.equal(url.origin, origin, `a request left the hub: ${request.url()}`);
  });

  // The city's leadership signs in with one click.
  graphqlRequests.length = 0;
  await page.click('a.demo-sign-in >> text=市科协领导');
  let mark = await ready(page);
  assert.ok(!mark.startsWith('error'), await page.textContent('#message'));
  assert.ok(graphqlRequests.length <= 2, `the first screen made ${graphqlRequests.length} GraphQL requests`);
  assert.ok(!page.url().includes('token='), 'the token stays out of the address');
  const cityToken = process.env.CITY_TOKEN;
  const year = Number(await page.$eval('#period-year', (select) => select.value));
  const city = await figuresOf(cityToken, (await graphql(cityToken, '{ city { id } }')).city.id, year);
  assertCardsEqual(await cardValues(page), city);
  assert.equal(await page.textContent('#breadcrumb'), city.name);
  await shot(page, 'city');

  // The year with lagging targets: the table flags them.
  let lagYear = null;
  for (let candidate = year; candidate >= year - 5 && lagYear === null; candidate -= 1) {
    const unit = await figuresOf(cityToken, city.id, candidate);
    if (unit.targets.some((target) => !target.onTrack)) lagYear = candidate;
  }
  assert.ok(lagYear, 'the demo city has lagging targets in one of the last years');
  await page.selectOption('#period-year', String(lagYear));
  mark = await ready(page, mark);
  const atLagYear = await figuresOf(cityToken, city.id, lagYear);
  assertCardsEqual(await cardValues(page), atLagYear);
  const lagging = await page.$$eval('#targets tbody tr.lagging', (rows) => rows.map((row) => row.dataset.target));
  assert.deepEqual(lagging.sort(), atLagYear.targets.filter((target) => !target.onTrack).map((target) => target.id).sort());
  assert.ok(await page.isVisible('#targets tbody tr.lagging .status.lagging >> text=滞后'));
  await shot(page, 'city-targets');

  // The league ranks the districts; ties share a rank.
  const districts = atLagYear.children.edges.map((edge) => edge.node).filter((node) => node.kind === 'DISTRICT');
  const rows = await page.$$eval('#league tbody tr', (trs) => trs.map((tr) => ({ id: tr.dataset.unit, rank: Number(tr.dataset.rank), value: tr.dataset.value === '' ? null : Number(tr.dataset.value) })));
  assert.equal(rows.length, districts.length, 'one league row per district');
  rows.forEach((row, index) => {
    if (index === 0) assert.equal(row.rank, 1);
    else if (row.value === rows[index - 1].value) assert.equal(row.rank, rows[index - 1].rank);
    else { assert.equal(row.rank, index + 1); assert.ok(row.value < rows[index - 1].value); }
  });

  // The map draws one area per district and the trend one point per month.
  assert.ok(await page.isVisible('#map svg'), 'the map renders');
  assert.equal(await page.textContent('#map-title-text'), '下级单位分布图');
  const areas = await page.$$eval('#map svg path', (paths) => paths.length);
  assert.ok(areas >= districts.length, `the map has ${areas} paths for ${districts.length} districts`);
  assert.ok(await page.isVisible('#trend svg'), 'the trend renders');
  const labels = await page.$$eval('#trend svg text', (texts) => texts.map((text) => text.textContent));
  assert.ok(labels.includes('12月'), `the trend's axis: ${labels.join(' ')}`);

  // A figure's meaning is its schema description, on tap.
  await page.click('.card[data-figure="talent.workers"] .info');
  await page.waitForFunction(() => !document.getElementById('popover').hidden && document.getElementById('popover').textContent.length > 20);
  assert.match(await page.textContent('#popover'), /S&T workers at home in the subtree/);
  await page.click('#cards-title');

  // The export holds what is shown.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
  const workbookPath = path.join(artifacts, 'cockpit.xlsx');
  await download.saveAs(workbookPath);
  const sheets = await readExcelFile(workbookPath);
  assert.deepEqual(sheets.map((sheet) => sheet.sheet), ['核心指标', '下级排名', '工作台账', '趋势']);
  const headline = sheets[0].data;
  assert.equal(headline[0][0], `科协领导驾驶舱 · ${city.name}`);
  assert.equal(headline[1][0], '导出时间');
  const periodShown = headline.find((row) => row[0] === '期间')[1];
  assert.ok(periodShown.startsWith(`${lagYear}年`), periodShown);
  if (countedYear(lagYear).to) assert.ok(periodShown.includes('截至'), periodShown);
  const headerAt = headline.findIndex((row) => row[0] === '服务');
  const figureRows = headline.slice(headerAt + 1);
  const labelsInOrder = await page.$$eval('.card', (cards) => cards.map((card) => [card.dataset.figure, card.querySelector('.name span').textContent]));
  assert.equal(figureRows.length, labelsInOrder.length);
  labelsInOrder.forEach(([figure, label], index) => {
    const [field, name] = figure.split('.');
    const expected = atLagYear[`${field}Figures`][name];
    assert.equal(figureRows[index][1], label);
    const cell = figureRows[index][3];
    if (name === 'adoptionRate') assert.ok(expected === null ? cell === null : Math.abs(cell - expected * 100) < 0.01, `${figure}: ${cell}`);
    else assert.equal(cell, expected, `${figure} in the workbook`);
  });
  const leagueSheet = sheets[1].data;
  const leagueAt = leagueSheet.findIndex((row) => row[0] === '名次');
  assert.equal(leagueSheet.length - leagueAt - 1, districts.length);
  const targetSheet = sheets[2].data;
  assert.equal(targetSheet.filter((row) => row[6] === '滞后').length, lagging.length);

  // The print layout (and PDF) shows the panels and the filters in force, not the controls.
  await page.emulateMedia({ media: 'print' });
  // What a browser does around printing (emulating the medium does not).
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  assert.ok(!(await page.isVisible('#filters')), 'the print layout hides the controls');
  assert.match(await page.textContent('#print-filters'), new RegExp(`${city.name} · ${lagYear}年`));
  await page.pdf({ path: path.join(artifacts, 'cockpit.pdf'), format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  const [mapWidth, drawnWidth] = await page.$eval('#map', (map) => [map.clientWidth, Number(map.querySelector('svg').getAttribute('width'))]);
  assert.equal(drawnWidth, mapWidth, 'after printing the charts fit the screen again');

  // Drill down: city → district → township, and back by the breadcrumb.
  const firstDistrict = rows[0].id;
  await page.click(`#league tbody tr[data-unit="${firstDistrict}"] a`);
  mark = await ready(page, mark);
  assert.equal(await page.$$eval('#breadcrumb a, #breadcrumb strong', (items) => items.length), 2);
  const district = await figuresOf(cityToken, firstDistrict, lagYear);
  assertCardsEqual(await cardValues(page), district);
  // No boundary file for a district's townships: they are tiles coloured the same way.
  assert.equal(await page.textContent('#map-title-text'), '下级单位色块图');
  const tiles = await page.$$eval('#map svg text', (texts) => texts.map((text) => text.textContent));
  const townships = district.children.edges.filter((edge) => edge.node.kind === 'TOWNSHIP').length;
  assert.ok(tiles.length >= townships, `${tiles.length} tile labels for ${townships} townships`);
  await shot(page, 'district');
  const township = await page.$eval('#league tbody tr', (tr) => tr.dataset.unit);
  await page.click(`#league tbody tr[data-unit="${township}"] a`);
  mark = await ready(page, mark);
  assert.equal(await page.$$eval('#breadcrumb a, #breadcrumb strong', (items) => items.length), 3);
  assertCardsEqual(await cardValues(page), await figuresOf(cityToken, township, lagYear));
  await shot(page, 'township');
  await page.click(`#breadcrumb a[data-unit="${city.id}"]`);
  mark = await ready(page, mark);
  assert.equal(await page.textContent('#breadcrumb'), city.name);
  assert.deepEqual(failedAssets, [], 'every request of the page succeeded');
  assert.deepEqual(consoleErrors, [], 'no script error and no content-security-policy violation');
  await context.close();

  // A district's leadership sees its district, and not another one.
  const districtContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const districtPage = await districtContext.newPage();
  await districtPage.goto(`${origin}/cockpit#token=${process.env.DISTRICT_TOKEN}`);
  let districtMark = await ready(districtPage);
  assert.ok(!districtMark.startsWith('error'), await districtPage.textContent('#message'));
  assert.equal(await districtPage.$$eval('#breadcrumb a, #breadcrumb strong', (items) => items.length), 1);
  await districtPage.goto(`${origin}/cockpit#unit=${process.env.OTHER_DISTRICT_ID}`);
  districtMark = await ready(districtPage, districtMark);
  assert.ok(districtMark.startsWith('error'), 'another district is refused');
  assert.equal(await districtPage.textContent('#message'), '无权查看该单位的数据。');
  assert.equal(await districtPage.$$eval('#cards .card', (cards) => cards.filter((card) => card.offsetParent !== null).length), 0);
  await shot(districtPage, 'district-refused');
  await districtContext.close();

  // On a phone nothing scrolls sideways.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const phonePage = await phone.newPage();
  await phonePage.goto(`${origin}/cockpit#token=${cityToken}`);
  const phoneMark = await ready(phonePage);
  assert.ok(!phoneMark.startsWith('error'), await phonePage.textContent('#message'));
  const widths = await phonePage.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(widths.scroll <= widths.view, `the phone page is ${widths.scroll}px wide in a ${widths.view}px viewport`);
  await phonePage.tap('.card[data-figure="popularization.activities"] .info');
  await phonePage.waitForFunction(() => !document.getElementById('popover').hidden && document.getElementById('popover').textContent.length > 20);
  await shot(phonePage, 'phone');
  await phone.close();
  // A front end on another origin: the hub allows http://127.0.0.1:FRONT_END_PORT (CORS),
  // not the same page served as http://localhost:FRONT_END_PORT.
  const frontEnd = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>前端</title>');
  });
  await new Promise((resolve) => frontEnd.listen(Number(process.env.FRONT_END_PORT), '127.0.0.1', resolve));
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  const ask = (token) => otherPage.evaluate(async ({ url, token }) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ city { name } }' }),
      });
      return (await response.json()).data.city.name;
    } catch (error) {
      return `refused: ${error.name}`;
    }
  }, { url: `${origin}/graphql`, token });
  await otherPage.goto(`http://127.0.0.1:${process.env.FRONT_END_PORT}/`);
  assert.equal(await ask(cityToken), city.name, 'an allowed origin reads the hub');
  await otherPage.goto(`http://localhost:${process.env.FRONT_END_PORT}/`);
  assert.equal(await ask(cityToken), 'refused: TypeError', 'another origin is refused by the browser');
  await other.close();
  frontEnd.close();

  // GraphiQL renders with nothing but the hub's own files, and runs a query.
  const graphiql = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const graphiqlPage = await graphiql.newPage();
  const elsewhere = [];
  graphiqlPage.on('request', (request) => {
    const url = new URL(request.url());
    if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin) elsewhere.push(request.url());
  });
  const graphiqlErrors = [];
  graphiqlPage.on('pageerror', (error) => graphiqlErrors.push(error.message));
  await graphiqlPage.goto(`${origin}/graphql`);
  await graphiqlPage.waitForSelector('.graphiql-container .graphiql-execute-button', { timeout: 20000 });
  await graphiqlPage.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ city { name } }'));
  await graphiqlPage.click('.graphiql-execute-button');
  await graphiqlPage.waitForFunction((name) => document.querySelector('.graphiql-response')?.textContent.includes(name), city.name, { timeout: 20000 });
  await shot(graphiqlPage, 'graphiql');
  assert.deepEqual(elsewhere, [], 'GraphiQL loads nothing from elsewhere');
  assert.deepEqual(graphiqlErrors, []);
  await graphiql.close();

  console.log(`cockpit: every check passed; screenshots and the workbook in ${artifacts}`);
} finally {
  await browser.close();
}
