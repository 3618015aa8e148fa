// The leadership cockpit (领导驾驶舱): a client of the hub's public GraphQL endpoint, like any
// front end. Everything it shows comes from two requests per screen: the unit's figures
// (this period and the same period a year earlier), its children's figures and its targets;
// and the trend series. Authorization, limits and the response cache apply as to anyone.
'use strict';

(() => {
  const ENDPOINT = '/graphql';
  const TOKEN_KEY = 'kexie.cockpit.token';

  // The figures shown, by service (四服务 and the organizations they stand on). `unit` is
  // what a value counts; `rate` figures are fractions shown as percentages.
  const SERVICES = [
    {
      key: 'organization', title: '组织建设', field: 'organizationFigures', type: 'OrganizationFigures',
      figures: [
        { name: 'units', label: '组织数', unit: '个' },
        { name: 'newUnits', label: '新建组织', unit: '个' },
        { name: 'termsOverdue', label: '换届逾期', unit: '个', lowerIsBetter: true },
        { name: 'partyBuildingActivities', label: '学会党建活动', unit: '场' },
        { name: 'mediaReports', label: '宣传报道', unit: '篇' },
      ],
    },
    {
      key: 'talent', title: '服务科技工作者', field: 'talentFigures', type: 'TalentFigures',
      figures: [
        { name: 'workers', label: '科技工作者', unit: '人' },
        { name: 'volunteers', label: '科技志愿者', unit: '人' },
        { name: 'ruralExperts', label: '农村实用人才', unit: '人' },
        { name: 'honors', label: '表彰奖励', unit: '项' },
        { name: 'nominations', label: '人才举荐', unit: '人次' },
        { name: 'workstations', label: '专家工作站', unit: '个' },
      ],
    },
    {
      key: 'innovation', title: '服务创新驱动', field: 'innovationFigures', type: 'InnovationFigures',
      figures: [
        { name: 'techNeeds', label: '企业技术需求', unit: '项' },
        { name: 'resolvedTechNeeds', label: '需求解决', unit: '项' },
        { name: 'contracts', label: '对接签约', unit: '项' },
        { name: 'contractValue', label: '签约金额', unit: '万元' },
        { name: 'transfers', label: '成果转化', unit: '项' },
        { name: 'scienceResults', label: '科技成果', unit: '项' },
        { name: 'serviceVisits', label: '服务企业', unit: '次' },
        { name: 'problemsSolved', label: '解决难题', unit: '个' },
        { name: 'events', label: '对接交流活动', unit: '场' },
      ],
    },
    {
      key: 'popularization', title: '科学普及', field: 'popularizationFigures', type: 'PopularizationFigures',
      figures: [
        { name: 'activities', label: '科普活动', unit: '场' },
        { name: 'participants', label: '参与人次', unit: '人次' },
        { name: 'onlineReach', label: '线上传播', unit: '人次' },
        { name: 'venues', label: '科普阵地', unit: '个' },
        { name: 'openVenues', label: '开放阵地', unit: '个' },
      ],
    },
    {
      key: 'advice', title: '决策咨询', field: 'adviceFigures', type: 'AdviceFigures',
      figures: [
        { name: 'submissions', label: '建言献策', unit: '篇' },
        { name: 'adoptedSubmissions', label: '建议采纳', unit: '篇' },
        { name: 'adoptionRate', label: '采纳率', unit: '%', rate: true },
        { name: 'instructions', label: '领导批示', unit: '件' },
        { name: 'researchTopics', label: '调研课题', unit: '项' },
        { name: 'consultationReports', label: '咨询报告', unit: '篇' },
      ],
    },
  ];
  const FIGURES = SERVICES.flatMap((service) =>
    service.figures.map((figure) => ({ ...figure, service, id: `${service.key}.${figure.name}` })));
  const FIGURE_BY_ID = new Map(FIGURES.map((figure) => [figure.id, figure]));

  // The Chinese names of targets' metrics and units' kinds come with the first screen, from
  // the hub's one table of labels (`enumLabels`); until then a value shows as itself.
  const LABELLED_ENUMS = ['TargetMetric', 'UnitKind'];
  const label = (enumName, value) => (state.labels.get(enumName) || new Map()).get(value) || value;
  const ROLE_LABELS = {
    leadership: '领导', unit_staff: '工作人员', unit_admin: '管理员', city_admin: '市级管理员',
  };
  // The children a map or league shows first: the next level of the administrative tree.
  const GEOGRAPHIC_KINDS = ['DISTRICT', 'TOWNSHIP'];

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  };

  // ---- Periods ---------------------------------------------------------------------------

  // Today in China (UTC+8), as the hub counts days.
  function todayInChina() {
    return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  }
  const pad = (n) => String(n).padStart(2, '0');
  const lastDayOfMonth = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();
  function shiftYear(date, years) {
    const [y, m, d] = date.split('-').map(Number);
    const day = Math.min(d, lastDayOfMonth(y + years, m));
    return `${y + years}-${pad(m)}-${pad(day)}`;
  }

  // A period: { kind: 'year' | 'quarter' | 'month' | 'range', year, quarter, month, from, to }.
  function periodInput(period) {
    switch (period.kind) {
      case 'year': return { year: period.year };
      case 'quarter': return { year: period.year, quarter: period.quarter };
      case 'month': return {
        from: `${period.year}-${pad(period.month)}-01`,
        to: `${period.year}-${pad(period.month)}-${pad(lastDayOfMonth(period.year, period.month))}`,
      };
      default: return { from: period.from, to: period.to };
    }
  }
  // The first and last day of a period.
  function bounds(period) {
    switch (period.kind) {
      case 'year': return [`${period.year}-01-01`, `${period.year}-12-31`];
      case 'quarter': {
        const last = period.quarter * 3;
        return [`${period.year}-${pad(last - 2)}-01`, `${period.year}-${pad(last)}-${pad(lastDayOfMonth(period.year, last))}`];
      }
      case 'month': return [`${period.year}-${pad(period.month)}-01`, `${period.year}-${pad(period.month)}-${pad(lastDayOfMonth(period.year, period.month))}`];
      default: return [period.from, period.to];
    }
  }
  // What the figures cover: a period still running counts up to today, so that it compares
  // with the same days a year earlier rather than with a whole period (本年累计 against 上年同期).
  function countedPeriod(period) {
    const today = todayInChina();
    const [from, to] = bounds(period);
    return from <= today && today < to ? { kind: 'range', from, to: today, upTo: today } : period;
  }
  function yearEarlier(period) {
    if (period.kind === 'range') {
      return { ...period, from: shiftYear(period.from, -1), to: shiftYear(period.to, -1) };
    }
    return { ...period, year: period.year - 1 };
  }
  function periodLabel(period) {
    const counted = countedPeriod(period);
    if (counted.upTo) {
      return `${plainPeriodLabel(period)}（截至${Number(counted.upTo.slice(5, 7))}月${Number(counted.upTo.slice(8))}日）`;
    }
    return plainPeriodLabel(period);
  }
  function plainPeriodLabel(period) {
    switch (period.kind) {
      case 'year': return `${period.year}年`;
      case 'quarter': return `${period.year}年第${'一二三四'[period.quarter - 1]}季度`;
      case 'month': return `${period.year}年${period.month}月`;
      default: return `${period.from} 至 ${period.to}`;
    }
  }
  function periodYear(period) {
    return period.kind === 'range' ? Number(period.to.slice(0, 4)) : period.year;
  }
  // The period in the page's address: 2025, 2025Q2, 2025-03 or 2025-01-01..2025-06-30.
  function encodePeriod(period) {
    switch (period.kind) {
      case 'year': return String(period.year);
      case 'quarter': return `${period.year}Q${period.quarter}`;
      case 'month': return `${period.year}-${pad(period.month)}`;
      default: return `${period.from}..${period.to}`;
    }
  }
  function decodePeriod(text) {
    let match;
    if ((match = /^(\d{4})$/.exec(text))) return { kind: 'year', year: +match[1] };
    if ((match = /^(\d{4})Q([1-4])$/.exec(text))) return { kind: 'quarter', year: +match[1], quarter: +match[2] };
    if ((match = /^(\d{4})-(\d{2})$/.exec(text)) && +match[2] >= 1 && +match[2] <= 12) {
      return { kind: 'month', year: +match[1], month: +match[2] };
    }
    if ((match = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text)) && match[1] <= match[2]) {
      return { kind: 'range', from: match[1], to: match[2] };
    }
    return null;
  }
  function defaultPeriod() {
    return { kind: 'year', year: Number(todayInChina().slice(0, 4)) };
  }

  // ---- Sign-in ---------------------------------------------------------------------------

  // The token's claims, read (not verified: the hub verifies it on every request) to know
  // which unit and role the page starts from.
  function claimsOf(token) {
    try {
      const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const json = decodeURIComponent(Array.from(atob(payload),
        (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
      const claims = JSON.parse(json);
      return claims && typeof claims.unit === 'string' ? claims : null;
    } catch {
      return null;
    }
  }
  function signedIn() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const claims = token && claimsOf(token);
    if (!claims) return null;
    if (claims.exp && claims.exp * 1000 <= Date.now()) {
      sessionStorage.removeItem(TOKEN_KEY);
      return { expired: true };
    }
    return { token, claims };
  }

  async function showSignIn(message) {
    $('app').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-message').hidden = !message;
    $('sign-in-message').textContent = message || '';
    try {
      const response = await fetch('/cockpit/sign-ins');
      const { demo } = response.ok ? await response.json() : { demo: [] };
      const list = $('demo-links');
      list.replaceChildren(...demo.map((signIn) => el('li', {},
        el('a', { href: `/cockpit#token=${encodeURIComponent(signIn.token)}`, class: 'demo-sign-in' }, signIn.label),
        signIn.unitName ? ` （${signIn.unitName}）` : '')));
      $('demo-sign-ins').hidden = demo.length === 0;
    } catch {
      $('demo-sign-ins').hidden = true;
    }
  }

  // ---- GraphQL ---------------------------------------------------------------------------

  class RequestError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  async function graphql(query, variables) {
    const session = signedIn();
    if (!session || session.expired) throw new RequestError('登录已过期，请重新登录。', 'UNAUTHENTICATED');
    let response;
    try {
      response = await fetch(ENDPOINT, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/graphql-response+json, application/json',
          // Errors in Chinese, whatever the browser's own languages.
          'Accept-Language': 'zh-CN',
          Authorization: `Bearer ${session.token}`,
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new RequestError('无法连接数据枢纽，请检查网络后重试。', 'NETWORK');
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not a GraphQL answer: the status says what happened.
    }
    const error = body && body.errors && body.errors[0];
    const code = error && error.extensions && error.extensions.code;
    if (response.status === 401 || code === 'UNAUTHENTICATED') {
      throw new RequestError('登录已过期或令牌无效，请重新登录。', 'UNAUTHENTICATED');
    }
    if (error && (!body.data || Object.values(body.data).some((value) => value === null))) {
      if (code === 'FORBIDDEN') throw new RequestError('无权查看该单位的数据。', code);
      if (code === 'NOT_FOUND') throw new RequestError('该单位不存在或已撤销。', code);
      if (code === 'RATE_LIMITED') throw new RequestError('请求过于频繁，请稍后再试。', code);
      throw new RequestError(`数据读取失败（${code || response.status}）。`, code || 'ERROR');
    }
    if (!response.ok || !body || !body.data) {
      throw new RequestError(`数据读取失败（HTTP ${response.status}）。`, 'HTTP');
    }
    return body.data;
  }

  const selection = (service) => service.figures.map((figure) => figure.name).join(' ');

  // The screen's first request: the unit, its figures now and a year earlier, its active
  // children with their figures, and its targets.
  const DASHBOARD_QUERY = `query Cockpit($unit: ID!, $period: PeriodInput!, $previous: PeriodInput!, $year: Int!) {
  labels: enumLabels(names: ${JSON.stringify(LABELLED_ENUMS)}) { name values { value label } }
  unit(id: $unit) {
    id name shortName kind divisionCode
    ancestors { id name }
    ${SERVICES.map((s) => `${s.field}(period: $period) { ${selection(s)} }`).join('\n    ')}
    ${SERVICES.map((s) => `${s.key}Previous: ${s.field}(period: $previous) { ${selection(s)} }`).join('\n    ')}
    children(first: 100) {
      edges { node {
        id name shortName kind divisionCode
        ${SERVICES.map((s) => `${s.field}(period: $period) { ${selection(s)} }`).join('\n        ')}
      } }
    }
    targets(year: $year) {
      id metric targetValue actual attainment onTrack responsiblePerson deadline note
    }
  }
}`;

  // The screen's second request: the trend of every figure, point by point, beside the same
  // point a year earlier.
  const SERIES_QUERY = `query CockpitTrend($unit: ID!, $series: SeriesInput!) {
  unit(id: $unit) {
    id
    ${SERVICES.map((s) => `${s.key}Series: ${s.field}Series(series: $series) {
      from to figures { ${selection(s)} } yearEarlier { ${selection(s)} }
    }`).join('\n    ')}
  }
}`;

  // What each figure means, from the schema's descriptions; asked for the first time a
  // figure's meaning is wanted (a hub may turn introspection off: the page works without).
  const DESCRIPTIONS_QUERY = `query CockpitDescriptions {
  ${SERVICES.map((s) => `${s.key}: __type(name: "${s.type}") { fields { name description } }`).join('\n  ')}
}`;

  // ---- State -----------------------------------------------------------------------------

  const state = {
    session: null,
    unitId: null,
    period: defaultPeriod(),
    rankFigure: 'popularization.activities',
    trendFigure: 'popularization.activities',
    trendEvery: 'MONTH',
    childKind: null,
    dashboard: null,
    series: null,
    descriptions: null,
    labels: new Map(),
    charts: { map: null, trend: null },
    maps: new Map(),
    loads: 0,
  };

  function readAddress() {
    const params = new URLSearchParams(location.hash.slice(1));
    const token = params.get('token');
    if (token) {
      // A token handed over by a redirect or a demo link: keep it for this tab only and take
      // it out of the address (and of the history).
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      params.delete('token');
      history.replaceState(null, '', `${location.pathname}${params.toString() ? '#' + params : ''}`);
    }
    const period = params.get('period') && decodePeriod(params.get('period'));
    return { unit: params.get('unit'), period };
  }

  function writeAddress(replace) {
    const params = new URLSearchParams();
    if (state.unitId && state.unitId !== state.session.claims.unit) params.set('unit', state.unitId);
    params.set('period', encodePeriod(state.period));
    const hash = `#${params}`;
    if (hash === location.hash) return;
    if (replace) history.replaceState(null, '', hash);
    else history.pushState(null, '', hash);
  }

  // ---- Formatting ------------------------------------------------------------------------

  const numberFormat = new Intl.NumberFormat('zh-CN');
  function formatValue(figure, value) {
    if (value === null || value === undefined) return '—';
    if (figure.rate) return `${(value * 100).toFixed(1)}%`;
    return numberFormat.format(value);
  }
  // The change against the same period a year earlier, as the card shows it.
  function change(figure, now, before) {
    if (now === null || before === null || now === undefined || before === undefined) {
      return { text: '同比 —', trend: 'flat', ratio: null };
    }
    if (figure.rate) {
      const points = (now - before) * 100;
      return {
        text: `同比 ${points >= 0 ? '+' : ''}${points.toFixed(1)} 个百分点`,
        trend: points > 0 ? 'up' : points < 0 ? 'down' : 'flat',
        ratio: null,
      };
    }
    if (before === 0) {
      return { text: now === 0 ? '同比 持平' : `同比 新增 ${numberFormat.format(now)}`, trend: now > 0 ? 'up' : 'flat', ratio: null };
    }
    const ratio = (now - before) / before;
    const text = ratio === 0 ? '同比 持平' : `同比 ${ratio > 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;
    return { text, trend: ratio > 0 ? 'up' : ratio < 0 ? 'down' : 'flat', ratio };
  }
  const valueOf = (figures, figure) => {
    const ofService = figures && figures[figure.service.field];
    return ofService ? ofService[figure.name] : null;
  };

  // Competition ranking: equal values share a rank, the next rank skips (1, 2, 2, 4);
  // missing values last; equal values in name order.
  function ranked(rows, figure) {
    const sorted = rows.slice().sort((a, b) => {
      const va = a.value, vb = b.value;
      if (va === vb) return a.name.localeCompare(b.name, 'zh-CN');
      if (va === null) return 1;
      if (vb === null) return -1;
      return figure.lowerIsBetter ? va - vb : vb - va;
    });
    let rank = 0;
    return sorted.map((row, index) => {
      if (index === 0 || row.value !== sorted[index - 1].value) rank = index + 1;
      return { ...row, rank };
    });
  }

  // ---- Rendering -------------------------------------------------------------------------

  function showMessage(text) {
    $('message').hidden = !text;
    $('message').textContent = text || '';
  }

  function renderFilters() {
    const thisYear = Number(todayInChina().slice(0, 4));
    const years = $('period-year');
    if (!years.options.length) {
      for (let year = thisYear; year >= thisYear - 10; year -= 1) years.append(el('option', { value: year }, `${year}年`));
      $('period-month').append(...Array.from({ length: 12 }, (_, i) => el('option', { value: i + 1 }, `${i + 1}月`)));
      for (const select of document.querySelectorAll('.figure-select')) {
        for (const service of SERVICES) {
          select.append(el('optgroup', { label: service.title },
            service.figures.map((figure) => el('option', { value: `${service.key}.${figure.name}` }, figure.label))));
        }
      }
    }
    const period = state.period;
    $('period-kind').value = period.kind;
    if (period.kind !== 'range') {
      if (![...years.options].some((option) => Number(option.value) === period.year)) {
        years.append(el('option', { value: period.year }, `${period.year}年`));
      }
      years.value = String(period.year);
    }
    if (period.kind === 'quarter') $('period-quarter').value = String(period.quarter);
    if (period.kind === 'month') $('period-month').value = String(period.month);
    const input = periodInput(period);
    $('period-from').value = input.from || `${period.year}-01-01`;
    $('period-to').value = input.to || `${period.year}-12-31`;
    for (const label of document.querySelectorAll('.filters label[class]')) {
      label.hidden = !label.classList.contains(`for-${period.kind}`);
    }
    $('rank-figure').value = state.rankFigure;
    $('trend-figure').value = state.trendFigure;
    $('trend-every').value = state.trendEvery;
  }

  function periodFromFilters() {
    const kind = $('period-kind').value;
    const year = Number($('period-year').value);
    if (kind === 'year') return { kind, year };
    if (kind === 'quarter') return { kind, year, quarter: Number($('period-quarter').value) };
    if (kind === 'month') return { kind, year, month: Number($('period-month').value) };
    const from = $('period-from').value, to = $('period-to').value;
    if (!from || !to || from > to) return null;
    return { kind, from, to };
  }

  function renderHeader(unit) {
    const claims = state.session.claims;
    $('who').textContent = `${ROLE_LABELS[claims.role] || claims.role} · ${claims.sub || ''}`;
    // From the signed-in unit down to this one: nothing above what the signed-in unit may read.
    const path = [...unit.ancestors, { id: unit.id, name: unit.name }];
    const start = Math.max(0, path.findIndex((step) => step.id === claims.unit));
    const crumbs = path.slice(start);
    $('breadcrumb').replaceChildren(...crumbs.flatMap((step, index) => {
      const last = index === crumbs.length - 1;
      const item = last
        ? el('strong', { 'aria-current': 'page' }, step.name)
        : el('a', { href: `#unit=${step.id}&period=${encodePeriod(state.period)}`, 'data-unit': step.id }, step.name);
      return index === 0 ? [item] : [el('span', { class: 'sep' }, '›'), item];
    }));
    $('print-filters').textContent = `${unit.name} · ${periodLabel(state.period)} · 打印时间 ${new Date().toLocaleString('zh-CN')}`;
    document.title = `${unit.name} · 科协领导驾驶舱`;
  }

  function infoButton(figure) {
    return el('button', {
      type: 'button', class: 'info', 'data-figure': figure.id, 'aria-label': `${figure.label}的含义`,
    }, 'ⓘ');
  }

  function renderCards(unit) {
    $('cards-period').textContent = `${periodLabel(state.period)}，与上年同期比`;
    $('cards').replaceChildren(...SERVICES.map((service) => el('div', { class: 'service', 'data-service': service.key },
      el('h3', {}, service.title),
      el('div', { class: 'cards' }, service.figures.map((figure) => {
        const now = unit[service.field][figure.name];
        const before = unit[`${service.key}Previous`][figure.name];
        const delta = change(figure, now, before);
        const good = figure.lowerIsBetter ? { up: 'down', down: 'up', flat: 'flat' }[delta.trend] : delta.trend;
        return el('div', { class: 'card', 'data-figure': `${service.key}.${figure.name}`, 'data-value': now ?? '' },
          el('div', { class: 'name' }, el('span', {}, figure.label), infoButton({ ...figure, id: `${service.key}.${figure.name}` })),
          el('div', { class: 'value' }, formatValue(figure, now), figure.rate ? null : el('span', { class: 'unit' }, figure.unit)),
          el('div', { class: `change ${good}`, title: `上年同期 ${formatValue(figure, before)}` }, delta.text));
      })))));
  }

  // The children the league and the map show: those of the chosen kind.
  function shownChildren() {
    const children = state.dashboard.unit.children.edges.map((edge) => edge.node);
    return state.childKind ? children.filter((child) => child.kind === state.childKind) : children;
  }

  function leagueRows() {
    const figure = FIGURE_BY_ID.get(state.rankFigure);
    return ranked(shownChildren().map((child) => ({
      id: child.id, name: child.name, kind: child.kind, value: valueOf(child, figure),
    })), figure);
  }

  function renderLeague() {
    const figure = FIGURE_BY_ID.get(state.rankFigure);
    const rows = leagueRows();
    $('league-figure-head').textContent = `${figure.label}${figure.rate ? '' : `（${figure.unit}）`}`;
    $('league-figure-head').className = 'num';
    const max = Math.max(0, ...rows.map((row) => row.value || 0));
    $('league').querySelector('tbody').replaceChildren(...rows.map((row) => el('tr', {
      class: 'drill', 'data-unit': row.id, 'data-rank': row.rank, 'data-value': row.value ?? '',
      onclick: () => drillTo(row.id),
    },
    el('td', { class: 'num' }, row.rank),
    el('td', {}, el('a', { href: `#unit=${row.id}&period=${encodePeriod(state.period)}` }, row.name)),
    el('td', { class: 'num' }, formatValue(figure, row.value)),
    el('td', { class: 'bar-cell' }, el('div', { class: 'bar' },
      el('span', { style: `width: ${max > 0 ? ((row.value || 0) / max) * 100 : 0}%` }))))));
    $('league-empty').hidden = rows.length > 0;
    $('league').hidden = rows.length === 0;
  }

  function renderChildKinds() {
    const children = state.dashboard.unit.children.edges.map((edge) => edge.node);
    const kinds = [...new Set(children.map((child) => child.kind))];
    if (!kinds.includes(state.childKind)) {
      state.childKind = GEOGRAPHIC_KINDS.find((kind) => kinds.includes(kind)) || null;
    }
    let select = $('child-kind');
    if (!select) {
      select = el('select', { id: 'child-kind', onchange: () => {
        state.childKind = select.value || null;
        renderLeague();
        renderMap();
      } });
      $('rank-figure').parentElement.after(el('label', { class: 'inline', style: 'margin-left: .8rem' }, '下级类型 ', select));
    }
    select.replaceChildren(el('option', { value: '' }, '全部'),
      ...kinds.map((kind) => el('option', { value: kind }, label('UnitKind', kind))));
    select.value = state.childKind || '';
  }

  function renderTargets(unit) {
    const year = periodYear(state.period);
    $('targets-year').textContent = `${year}年`;
    const targets = unit.targets.slice().sort((a, b) => a.attainment - b.attainment);
    $('targets').querySelector('tbody').replaceChildren(...targets.map((target) => {
      const lagging = !target.onTrack;
      const width = Math.min(100, target.attainment * 100);
      return el('tr', { class: lagging ? 'lagging' : 'on-track', 'data-metric': target.metric, 'data-target': target.id },
        el('td', { title: target.note || '' }, label('TargetMetric', target.metric)),
        el('td', { class: 'num' }, numberFormat.format(target.targetValue)),
        el('td', { class: 'num' }, numberFormat.format(target.actual)),
        el('td', {}, el('div', { class: `bar ${lagging ? 'lagging' : target.attainment > 1 ? 'over' : ''}`, title: `${(target.attainment * 100).toFixed(1)}%` },
          el('span', { style: `width: ${width}%` })), el('small', {}, `${(target.attainment * 100).toFixed(0)}%`)),
        el('td', {}, target.responsiblePerson),
        el('td', {}, target.deadline),
        el('td', {}, el('span', { class: `status ${lagging ? 'lagging' : 'on-track'}` }, lagging ? '滞后' : '正常')));
    }));
    $('targets-empty').hidden = targets.length > 0;
    $('targets').hidden = targets.length === 0;
  }

  async function boundaries(code) {
    if (!code) return null;
    if (!state.maps.has(code)) {
      state.maps.set(code, fetch(`/cockpit/maps/${encodeURIComponent(code)}.json`)
        .then((response) => (response.ok ? response.json() : null))
        .catch(() => null));
    }
    return state.maps.get(code);
  }

  // Short names on the map: the areas are small.
  const shortLabel = (child) => (child.shortName || child.name).replace(/科学技术协会$|科协$/, '');

  // The shared colour scale of the map and the tiles.
  function visualMap(figure, values) {
    return {
      min: Math.min(...values), max: Math.max(...values, 1), calculable: true, left: 'left', bottom: 0,
      text: ['高', '低'], inRange: { color: ['#fee2e2', '#fca5a5', '#dc2626', '#7f1d1d'] },
      formatter: (value) => formatValue(figure, figure.rate ? value : Math.round(value)),
    };
  }

  // Sizes a chart to its container (or to the given width), and tells whether it may be
  // drawn. A container without a laid-out size (hidden, or the page between layouts) keeps
  // the chart as it is: ECharts 6.1 throws when it lays out a map at a zero size
  // (apache/echarts#21706), and every way of showing a chart again draws it anew.
  function fit(chart, width) {
    const box = chart.getDom();
    if (box.clientWidth === 0 || box.clientHeight === 0) return false;
    chart.resize({ width: width ?? box.clientWidth, height: box.clientHeight });
    return true;
  }

  // The children on their boundaries when the hub has the level's boundary file; otherwise
  // as equal tiles (色块图), in division-code order, coloured the same way.
  async function renderMap() {
    const unit = state.dashboard.unit;
    const figure = FIGURE_BY_ID.get(state.rankFigure);
    const geo = await boundaries(unit.divisionCode);
    const chart = state.charts.map;
    const children = shownChildren();
    const placed = children.filter((child) => child.divisionCode);
    const features = geo ? geo.features.filter((feature) =>
      placed.some((child) => child.divisionCode === String(feature.properties.adcode))) : [];
    $('map').hidden = children.length === 0;
    $('map-empty').hidden = children.length > 0;
    if (!children.length || !fit(chart)) return;
    const values = children.map((child) => valueOf(child, figure) || 0);
    const tooltip = {
      trigger: 'item',
      formatter: (item) => `${item.name}<br>${figure.label}：${formatValue(figure, item.value ?? null)}`,
    };
    if (features.length) {
      $('map-title-text').textContent = '下级单位分布图';
      $('map-figure-name').textContent = `按${figure.label}着色（示意）`;
      const mapName = `unit-${unit.divisionCode}`;
      echarts.registerMap(mapName, geo);
      const nameByCode = new Map(placed.map((child) => [child.divisionCode, shortLabel(child)]));
      chart.setOption({
        tooltip,
        visualMap: visualMap(figure, values),
        series: [{
          type: 'map', map: mapName, roam: false,
          data: placed.map((child) => ({ name: shortLabel(child), value: valueOf(child, figure) })),
          nameProperty: 'adcode',
          nameMap: Object.fromEntries(features.map((feature) =>
            [String(feature.properties.adcode), nameByCode.get(String(feature.properties.adcode))])),
          label: { show: true, fontSize: 11 },
          emphasis: { label: { show: true } },
        }],
      }, true);
      return;
    }
    $('map-title-text').textContent = '下级单位色块图';
    $('map-figure-name').textContent = `按${figure.label}着色（本级无边界数据）`;
    const ordered = children.slice().sort((a, b) =>
      (a.divisionCode || '~').localeCompare(b.divisionCode || '~') || a.name.localeCompare(b.name, 'zh-CN'));
    const columns = Math.max(1, Math.ceil(Math.sqrt(ordered.length * 1.5)));
    const rows = Math.ceil(ordered.length / columns);
    chart.setOption({
      tooltip: { ...tooltip, formatter: (item) => `${ordered[item.dataIndex].name}<br>${figure.label}：${formatValue(figure, item.value[2])}` },
      visualMap: { ...visualMap(figure, values), dimension: 2 },
      grid: { left: 70, right: 8, top: 8, bottom: 8 },
      xAxis: { type: 'category', data: Array.from({ length: columns }, (_, i) => i), show: false },
      yAxis: { type: 'category', data: Array.from({ length: rows }, (_, i) => i), show: false, inverse: true },
      series: [{
        type: 'heatmap',
        data: ordered.map((child, i) => [i % columns, Math.floor(i / columns), valueOf(child, figure)]),
        label: { show: true, fontSize: 11, formatter: (item) => shortLabel(ordered[item.dataIndex]) },
        itemStyle: { borderColor: '#fff', borderWidth: 2 },
      }],
    }, true);
  }

  function trendPoints() {
    const figure = FIGURE_BY_ID.get(state.trendFigure);
    const points = state.series.unit[`${figure.service.key}Series`];
    return points.map((point) => ({
      label: state.trendEvery === 'MONTH'
        ? `${Number(point.from.slice(5, 7))}月`
        : `${point.from.slice(0, 4)}年Q${Math.floor((Number(point.from.slice(5, 7)) - 1) / 3) + 1}`,
      from: point.from,
      to: point.to,
      value: point.figures[figure.name],
      yearEarlier: point.yearEarlier[figure.name],
    }));
  }

  function renderTrend() {
    const figure = FIGURE_BY_ID.get(state.trendFigure);
    const points = trendPoints();
    const scale = (value) => (value === null ? null : figure.rate ? +(value * 100).toFixed(1) : value);
    if (!fit(state.charts.trend)) return;
    state.charts.trend.setOption({
      tooltip: { trigger: 'axis' },
      legend: { data: ['本期', '上年同期'], top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: points.map((point) => point.label) },
      yAxis: { type: 'value', name: figure.rate ? '%' : figure.unit, minInterval: figure.rate ? 0 : 1 },
      series: [
        { name: '本期', type: 'line', data: points.map((point) => scale(point.value)), itemStyle: { color: '#b91c1c' } },
        { name: '上年同期', type: 'line', data: points.map((point) => scale(point.yearEarlier)),
          lineStyle: { type: 'dashed' }, itemStyle: { color: '#64748b' } },
      ],
    }, true);
  }

  // ---- Loading ---------------------------------------------------------------------------

  function seriesInput() {
    const year = periodYear(state.period);
    if (state.period.kind === 'range' && state.trendEvery === 'MONTH') {
      return { from: state.period.from, to: state.period.to, every: 'MONTH' };
    }
    return state.trendEvery === 'MONTH'
      ? { from: `${year}-01-01`, to: `${year}-12-31`, every: 'MONTH' }
      : { from: `${year - 2}-01-01`, to: `${year}-12-31`, every: 'QUARTER' };
  }

  async function loadTrend(load) {
    const series = await graphql(SERIES_QUERY, { unit: state.unitId, series: seriesInput() });
    if (load !== state.loads) return;
    state.series = series;
    renderTrend();
  }

  async function load() {
    const loadNumber = ++state.loads;
    document.body.classList.add('loading');
    showMessage('');
    renderFilters();
    const counted = countedPeriod(state.period);
    const dashboard = graphql(DASHBOARD_QUERY, {
      unit: state.unitId,
      period: periodInput(counted),
      previous: periodInput(yearEarlier(counted)),
      year: periodYear(state.period),
    });
    // Both requests go out at once; a failed trend is reported once the dashboard is in.
    const trend = loadTrend(loadNumber).catch((error) => error);
    try {
      const data = await dashboard;
      if (loadNumber !== state.loads) return;
      if (!data.unit) throw new RequestError('该单位不存在或已撤销。', 'NOT_FOUND');
      state.dashboard = data;
      state.labels = new Map((data.labels || []).map((labels) =>
        [labels.name, new Map(labels.values.map(({ value, label: text }) => [value, text]))]));
      renderHeader(data.unit);
      renderCards(data.unit);
      renderChildKinds();
      renderLeague();
      renderTargets(data.unit);
      for (const panel of ['cards-panel', 'league-panel', 'map-panel', 'trend-panel', 'targets-panel']) $(panel).hidden = false;
      await renderMap();
      const trendFailure = await trend;
      if (trendFailure instanceof Error) throw trendFailure;
      if (loadNumber !== state.loads) return;
      // For tests and the budget benchmark: the screen is complete.
      performance.mark('cockpit-ready');
      document.body.dataset.ready = String(loadNumber);
    } catch (error) {
      if (loadNumber !== state.loads) return;
      fail(error);
    } finally {
      if (loadNumber === state.loads) document.body.classList.remove('loading');
    }
  }

  function fail(error) {
    if (error.code === 'UNAUTHENTICATED') {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn(error.message);
      return;
    }
    state.dashboard = null;
    for (const panel of ['cards-panel', 'league-panel', 'map-panel', 'trend-panel', 'targets-panel']) $(panel).hidden = true;
    showMessage(error instanceof RequestError ? error.message : `页面出错：${error.message}`);
    document.body.dataset.ready = `error-${state.loads}`;
  }

  function drillTo(unitId) {
    state.unitId = unitId;
    writeAddress(false);
    load();
  }

  // ---- Figure meanings -------------------------------------------------------------------

  async function description(figureId) {
    if (!state.descriptions) {
      state.descriptions = graphql(DESCRIPTIONS_QUERY, {}).then((data) => {
        const map = new Map();
        for (const service of SERVICES) {
          for (const field of (data[service.key] && data[service.key].fields) || []) {
            map.set(`${service.key}.${field.name}`, field.description);
          }
        }
        return map;
      }).catch(() => new Map());
    }
    return (await state.descriptions).get(figureId);
  }

  async function showMeaning(button) {
    const popover = $('popover');
    const figure = FIGURE_BY_ID.get(button.dataset.figure);
    popover.dataset.figure = button.dataset.figure;
    popover.textContent = '…';
    popover.hidden = false;
    const place = () => {
      const box = button.getBoundingClientRect();
      const width = popover.offsetWidth;
      popover.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - width - 8))}px`;
      popover.style.top = `${box.bottom + 6}px`;
    };
    place();
    const text = await description(button.dataset.figure);
    if (popover.dataset.figure !== button.dataset.figure || popover.hidden) return;
    popover.replaceChildren(el('strong', {}, figure.label), el('br'), text || '暂无说明。');
    place();
  }

  // ---- Export ----------------------------------------------------------------------------

  function exportPayload() {
    const unit = state.dashboard.unit;
    const rankFigure = FIGURE_BY_ID.get(state.rankFigure);
    const trendFigure = FIGURE_BY_ID.get(state.trendFigure);
    const cell = (figure, value) => (value === null || value === undefined ? null : figure.rate ? +(value * 100).toFixed(2) : value);
    const headline = FIGURES.map((figure) => {
      const now = unit[figure.service.field][figure.name];
      const before = unit[`${figure.service.key}Previous`][figure.name];
      const delta = change(figure, now, before);
      return [figure.service.title, figure.label, figure.rate ? '%' : figure.unit, cell(figure, now), cell(figure, before),
        delta.ratio === null ? delta.text.replace('同比 ', '') : +(delta.ratio * 100).toFixed(2)];
    });
    const children = leagueRows().map((row) => {
      const child = shownChildren().find((candidate) => candidate.id === row.id);
      return [row.rank, row.name, label('UnitKind', row.kind), ...FIGURES.map((figure) => cell(figure, valueOf(child, figure)))];
    });
    const targets = [...$('targets').querySelectorAll('tbody tr')].map((row) => {
      const target = unit.targets.find((candidate) => candidate.id === row.dataset.target);
      return [label('TargetMetric', target.metric), target.targetValue, target.actual,
        +(target.attainment * 100).toFixed(2), target.responsiblePerson, target.deadline, target.onTrack ? '正常' : '滞后'];
    });
    const trend = state.series ? trendPoints().map((point) =>
      [point.label, point.from, point.to, cell(trendFigure, point.value), cell(trendFigure, point.yearEarlier)]) : [];
    return {
      title: `科协领导驾驶舱 · ${unit.name}`,
      filters: [
        ['单位', unit.name],
        ['期间', periodLabel(state.period)],
        ['下级排名依据', rankFigure.label],
        ['下级类型', state.childKind ? label('UnitKind', state.childKind) : '全部'],
        ['趋势指标', `${trendFigure.label}（${state.trendEvery === 'MONTH' ? '按月' : '按季度'}）`],
      ],
      sheets: [
        { name: '核心指标', columns: ['服务', '指标', '单位', '本期', '上年同期', '同比（%）'], rows: headline },
        { name: '下级排名', columns: ['名次', '单位', '类型', ...FIGURES.map((figure) => `${figure.label}${figure.rate ? '（%）' : ''}`)], rows: children },
        { name: '工作台账', columns: ['指标', '目标', '完成', '完成率（%）', '责任人', '时间节点', '状态'], rows: targets },
        { name: '趋势', columns: ['期间', '起', '止', `${trendFigure.label}`, '上年同期'], rows: trend },
      ],
    };
  }

  async function exportXlsx() {
    if (!state.dashboard) return;
    const button = $('export-xlsx');
    button.disabled = true;
    try {
      const response = await fetch('/cockpit/export', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${state.session.token}` },
        body: JSON.stringify(exportPayload()),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blob = await response.blob();
      const link = el('a', {
        href: URL.createObjectURL(blob),
        download: `驾驶舱-${state.dashboard.unit.name}-${encodePeriod(state.period)}.xlsx`,
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      showMessage(`导出失败：${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---- Start -----------------------------------------------------------------------------

  function start() {
    const address = readAddress();
    const session = signedIn();
    if (!session || session.expired) {
      showSignIn(session && session.expired ? '登录已过期，请重新登录。' : '');
      return;
    }
    state.session = session;
    state.unitId = address.unit || session.claims.unit;
    if (address.period) state.period = address.period;
    $('sign-in').hidden = true;
    $('app').hidden = false;
    if (!state.charts.map) {
      state.charts.map = echarts.init($('map'), null, { renderer: 'svg' });
      state.charts.trend = echarts.init($('trend'), null, { renderer: 'svg' });
      // The container's size again, also after a size of its own for printing.
      const resize = () => {
        fit(state.charts.map);
        fit(state.charts.trend);
      };
      window.addEventListener('resize', resize);
      // Paper is narrower than a screen: the charts are drawn for A4's printable width (the
      // trend across it, the map in its half) and for the screen again afterwards.
      window.addEventListener('beforeprint', () => {
        fit(state.charts.trend, 680);
        fit(state.charts.map, 330);
      });
      window.addEventListener('afterprint', resize);
    }
    writeAddress(true);
    load();
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token-input').value.trim().replace(/^Bearer\s+/i, '');
    if (!claimsOf(token)) {
      $('sign-in-message').hidden = false;
      $('sign-in-message').textContent = '令牌格式不正确：请粘贴身份认证平台签发的完整令牌。';
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token-input').value = '';
    start();
  });
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('filters').addEventListener('change', (event) => {
    if (!['period-kind', 'period-year', 'period-quarter', 'period-month', 'period-from', 'period-to'].includes(event.target.id)) return;
    if (event.target.id === 'period-kind') {
      // Another kind of period: its first one in the year shown.
      const kind = event.target.value;
      const year = periodYear(state.period);
      state.period = {
        year: { kind, year },
        quarter: { kind, year, quarter: 1 },
        month: { kind, year, month: 1 },
        range: { kind, from: `${year}-01-01`, to: `${year}-12-31` },
      }[kind];
    } else {
      const period = periodFromFilters();
      if (!period) {
        showMessage('起止日期不正确：起始日期不能晚于截止日期。');
        return;
      }
      state.period = period;
    }
    writeAddress(false);
    load();
  });
  $('rank-figure').addEventListener('change', (event) => {
    state.rankFigure = event.target.value;
    renderLeague();
    renderMap();
  });
  $('trend-figure').addEventListener('change', (event) => {
    state.trendFigure = event.target.value;
    if (state.series) renderTrend();
  });
  $('trend-every').addEventListener('change', (event) => {
    state.trendEvery = event.target.value;
    loadTrend(state.loads).catch(fail);
  });
  $('export-xlsx').addEventListener('click', exportXlsx);
  $('print').addEventListener('click', () => window.print());
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    history.replaceState(null, '', location.pathname);
    state.session = null;
    showSignIn('已退出。');
  });
  $('breadcrumb').addEventListener('click', (event) => {
    const link = event.target.closest('a[data-unit]');
    if (!link) return;
    event.preventDefault();
    drillTo(link.dataset.unit);
  });
  $('league').addEventListener('click', (event) => {
    if (event.target.closest('a')) event.preventDefault();
  });
  document.addEventListener('click', (event) => {
    const button = event.target.closest('.info');
    if (button) {
      event.stopPropagation();
      showMeaning(button);
    } else if (!event.target.closest('#popover')) {
      $('popover').hidden = true;
    }
  });
  document.addEventListener('mouseover', (event) => {
    const button = event.target.closest('.info');
    if (button) showMeaning(button);
  });
  window.addEventListener('popstate', () => {
    if (!state.session) return;
    const address = readAddress();
    state.unitId = address.unit || state.session.claims.unit;
    if (address.period) state.period = address.period;
    load();
  });
  window.addEventListener('hashchange', () => {
    // A token pasted into the address of an open page.
    if (new URLSearchParams(location.hash.slice(1)).has('token')) start();
  });

  start();
})();
