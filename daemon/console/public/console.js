// Shared by the console pages: language, the API with its CSRF token, the live stream, formatting.
const T = {
  en: {
    title: 'Frontdesk console', login: 'Log in', user: 'User name', password: 'Password', logout: 'Log out', wrong: 'Wrong user name or password.',
    locked: 'Too many failed logins. Try again in {s} s.', wallboard: 'Wallboard', workbench: 'Workbench', admin: 'Audit trail',
    queues: 'Queues', agents: 'Agents', lines: 'Lines', alarms: 'Alarms', queue: 'Queue', waiting: 'Waiting', longest: 'Longest wait',
    sl: 'SL today', answered: 'Answered', abandoned: 'Abandoned', agent: 'Agent', state: 'State', call: 'Current call', inState: 'Time in state',
    line: 'Line', signal: 'Signal', operator: 'Operator', none: 'None', noAlarms: 'No alarms', ready: 'Ready', paused: 'Paused', 'wrap-up': 'Wrap-up',
    'logged-out': 'Logged out', available: 'Available', ringing: 'Ringing', busy: 'On a call', unreachable: 'Unreachable', unknown: 'Unknown',
    noCall: 'No call. The caller appears here when your phone rings.', incoming: 'Incoming call', onCall: 'On a call', caller: 'Caller', name: 'Name',
    reason: 'Reason', intent: 'Intent', slots: 'Captured by the bot', emotion: 'Emotion', conversation: 'Bot conversation', history: 'Earlier calls',
    lastAgent: 'Last agent', notes: 'Notes from earlier calls', note: 'Note', disposition: 'Disposition', save: 'Save note', saved: 'Saved.',
    when: 'When', outcome: 'Outcome', by: 'By', action: 'Action', target: 'Target', detail: 'Detail', ip: 'Address', menuPath: 'Menu path',
    requested: 'asked for a person', 'no-match': 'not understood', 'no-input': 'no input', vip: 'VIP', menu: 'menu choice', ready_: 'ready', calls: 'calls in progress',
    'd-resolved': 'Resolved', 'd-follow-up': 'Follow-up needed', 'd-complaint': 'Complaint', 'd-sales': 'Sales', 'd-other': 'Other', live: 'live', offline: 'reconnecting…',
    historyPage: 'History', voicemail: 'Voicemail', kpis: 'KPIs', search: 'Search', from: 'From', to: 'To', all: 'All', play: 'Play', handled: 'Handled', markHandled: 'Mark handled', duration: 'Duration', timeline: 'Timeline', recording: 'Recording', containment: 'Containment', asa: 'ASA (s)', abandonment: 'Abandonment', csat: 'CSAT', perHour: 'Calls per hour today', last7: 'Last 7 days', offered: 'Offered', number: 'Number', event: 'Event',
    callUs: 'Call us', 'web-calling': 'Calling…', 'web-talking': 'Connected', 'web-ended': 'Call ended', 'web-busy': 'All lines are busy. Please try again later.',
    listen: 'Listen', whisper: 'Whisper', barge: 'Barge in', listening: 'Listening to', transfer: 'Transfer', callBack: 'Call back', callBackQueued: 'Call-back queued', phone: 'Phone', answer: 'Answer', hangup: 'Hang up', 'rtc-ringing': 'ringing', 'rtc-talking': 'talking', 'rtc-ended': 'ended',
    kb: 'Knowledge base', kbSuggested: "Matching the caller's reason", kbNone: 'No entry matches this call yet.', kbNoMatch: 'No matching entry.', kbAsk: 'Search the knowledge base', fault: 'after a system fault',
  },
  zh: {
    title: '前台控制台', login: '登录', user: '用户名', password: '密码', logout: '退出', wrong: '用户名或密码错误。',
    locked: '登录失败次数过多，请 {s} 秒后再试。', wallboard: '监控大屏', workbench: '坐席工作台', admin: '审计记录',
    queues: '队列', agents: '坐席', lines: '线路', alarms: '告警', queue: '队列', waiting: '排队中', longest: '最长等待',
    sl: '今日服务水平', answered: '已接听', abandoned: '放弃', agent: '坐席', state: '状态', call: '当前通话', inState: '状态时长',
    line: '线路', signal: '信号', operator: '运营商', none: '无', noAlarms: '无告警', ready: '就绪', paused: '暂停', 'wrap-up': '话后整理',
    'logged-out': '已签出', available: '空闲', ringing: '振铃', busy: '通话中', unreachable: '不可达', unknown: '未知',
    noCall: '暂无来电。电话响铃时来电信息会显示在这里。', incoming: '来电', onCall: '通话中', caller: '来电号码', name: '姓名',
    reason: '转人工原因', intent: '意图', slots: '机器人收集的信息', emotion: '情绪', conversation: '机器人对话', history: '历史来电',
    lastAgent: '上次坐席', notes: '以往备注', note: '备注', disposition: '处理结果', save: '保存备注', saved: '已保存。',
    when: '时间', outcome: '结果', by: '操作人', action: '操作', target: '对象', detail: '详情', ip: '地址', menuPath: '菜单路径',
    requested: '要求转人工', 'no-match': '未能理解', 'no-input': '无输入', vip: 'VIP', menu: '菜单选择', ready_: '就绪', calls: '进行中通话',
    'd-resolved': '已解决', 'd-follow-up': '需跟进', 'd-complaint': '投诉', 'd-sales': '销售', 'd-other': '其他', live: '实时', offline: '重新连接中…',
    historyPage: '通话记录', voicemail: '语音留言', kpis: '指标', search: '查询', from: '从', to: '到', all: '全部', play: '播放', handled: '已处理', markHandled: '标记已处理', duration: '时长', timeline: '时间线', recording: '录音', containment: '机器人解决率', asa: '平均应答 (秒)', abandonment: '放弃率', csat: '满意度', perHour: '今日每小时来电', last7: '最近 7 天', offered: '来电', number: '号码', event: '事件',
    callUs: '呼叫我们', 'web-calling': '正在呼叫…', 'web-talking': '已接通', 'web-ended': '通话已结束', 'web-busy': '线路繁忙，请稍后再试。',
    listen: '监听', whisper: '耳语', barge: '强插', listening: '正在监听', transfer: '转接', callBack: '回拨', callBackQueued: '已安排回拨', phone: '网页电话', answer: '接听', hangup: '挂断', 'rtc-ringing': '振铃', 'rtc-talking': '通话中', 'rtc-ended': '已结束',
    kb: '知识库', kbSuggested: '与来电原因相关的条目', kbNone: '暂无与本次来电相关的条目。', kbNoMatch: '没有找到相关条目。', kbAsk: '搜索知识库', fault: '系统故障后转人工',
  },
};

export let lang = localStorage.getItem('fd-lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en');
export const t = (k, vars = {}) => (T[lang][k] ?? T.en[k] ?? k).replace(/\{(\w+)\}/g, (_, v) => String(vars[v] ?? ''));

export function setLang(l) {
  lang = l;
  localStorage.setItem('fd-lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
}

let csrf = '';
/** The box's IANA time zone (from /api/me): every time shown is its wall clock, as in CDRs and reports. */
let boxZone;
export async function me() {
  const r = await fetch('/api/me', { credentials: 'same-origin' });
  if (r.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    throw new Error('login required');
  }
  const m = await r.json();
  csrf = m.csrf;
  boxZone = m.timeZone || undefined;
  if (!localStorage.getItem('fd-lang')) setLang(m.language);
  return m;
}

export async function post(path, body) {
  const r = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body ?? {}) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(j.error || r.statusText), { status: r.status, body: j });
  return j;
}

/** The live stream: handlers by event name; a dot in the header shows whether it is connected. */
export function stream(query, handlers) {
  const es = new EventSource(`/api/stream${query}`);
  for (const [name, fn] of Object.entries(handlers)) es.addEventListener(name, (e) => fn(JSON.parse(e.data)));
  const dot = document.getElementById('live');
  es.onopen = () => dot && ((dot.textContent = t('live')), (dot.className = 'pill s-available'));
  es.onerror = () => dot && ((dot.textContent = t('offline')), (dot.className = 'pill bad'));
  window.fdStream = es;
  return es;
}

export function header(m, title) {
  const h = document.querySelector('header');
  h.innerHTML = '';
  const el = (tag, attrs = {}, text) => {
    const e = document.createElement(tag);
    Object.assign(e, attrs);
    if (text !== undefined) e.textContent = text;
    h.append(e);
    return e;
  };
  el('h1', {}, `${t(title)} · ${m.site}/${m.node}`);
  el('span', { id: 'live', className: 'pill' }, '');
  el('span', { className: 'sp' });
  if (m.user.role !== 'agent') for (const p of ['wallboard', 'history', 'voicemail', 'kpis']) el('a', { href: `/${p}` }, t(p === 'history' ? 'historyPage' : p));
  if (m.user.extension) el('a', { href: `/agent/${m.user.extension}` }, t('workbench'));
  if (m.user.role === 'admin') el('a', { href: '/admin' }, t('admin'));
  el('span', { className: 'who' }, `${m.user.name} (${m.user.role})`);
  const lb = el('button', { id: 'lang' }, lang === 'zh' ? 'English' : '中文');
  lb.onclick = () => {
    setLang(lang === 'zh' ? 'en' : 'zh');
    location.reload();
  };
  const out = el('button', { id: 'logout' }, t('logout'));
  out.onclick = async () => {
    await post('/api/logout').catch(() => {});
    location.href = '/login';
  };
}

export function dur(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

const clockFormat = (fields) => new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { ...fields, hourCycle: 'h23', ...(boxZone ? { timeZone: boxZone } : {}) });
const DAY = { year: 'numeric', month: '2-digit', day: '2-digit' }, TIME = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
/** Date and time of an instant on the box's clock (not the browser's), in the page's language. */
export const stamp = (iso) => (iso ? clockFormat({ ...DAY, ...TIME }).format(new Date(iso)) : '–');
/** Time of day of an instant on the box's clock. */
export const clock = (iso) => (iso ? clockFormat(TIME).format(new Date(iso)) : '–');

export const since = (iso) => (iso ? dur(Date.now() - Date.parse(iso)) : '–');
export const pct = (x) => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`);

/** Build an element tree without innerHTML (callers' data is never parsed as HTML). */
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== false) e.append(k instanceof Node ? k : String(k));
  return e;
}
