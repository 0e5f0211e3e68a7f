// Browser tests of the administration, audit and monitoring pages: the
// administrator adds a holiday and recomputes, which moves an open deadline
// of a demo application; the monitoring's SVG charts and CSV downloads;
// the auditor's search and hash chain without JavaScript; every page
// checked with axe-core at a phone's width, screenshots kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as h from "./lib/harness.mjs";

before(h.start);
after(h.stop);

/** Almaty's date today (UTC+5). */
function almatyToday() {
  return new Date(Date.now() + 5 * 3600 * 1000).toISOString().slice(0, 10);
}

/** "2026-11-27T10:15:00+05:00" as the pages show it: "2026-11-27 10:15". */
const shown = (t) => t.slice(0, 16).replace("T", " ");

/// An open application of the demo data whose deadline is on a later day
/// than today; when the clock leaves none (all overdue), one taken in now
/// and sent to review, as the office would.
async function openDeadline(admin) {
  const list = await h.api("GET", "/applications?status=in-progress&order=due&limit=100", { token: admin });
  assert.equal(list.status, 200);
  const today = almatyToday();
  const found = list.body.items.find((a) => a.due_at && a.due_at.slice(0, 10) > today);
  if (found) return found;
  const id = await h.officeApplication();
  await h.act("clerk", id, { action: "complete" });
  return h.act("head", id, { action: "complete", assignee: "specialist" });
}

test("the administrator adds a holiday and recomputes: an open deadline moves, and the pages say so", async () => {
  const admin = await h.token("admin", "demo-admin");
  const app = await openDeadline(admin);
  const before = app.due_at;
  const day = before.slice(0, 10);

  const page = await h.newPage({ locale: "kk-KZ" });
  await h.login(page, "admin", "demo-admin", "/admin");
  assert.equal(new URL(page.url()).pathname, "/admin");
  assert.equal(await page.textContent("h1"), "Әкімшілік");
  await h.check(page, "admin-kk");

  await page.goto(`${h.base}/admin/calendar?month=${day.slice(0, 7)}`);
  await h.check(page, "admin-calendar-kk");
  // The month shows the day as a working day before the edit.
  const cell = () => page.locator("table.month td", { hasText: `${day}:` });
  assert.match(await cell().textContent(), /жұмыс күні/);

  // The form, by keyboard: the kind is a day off by default.
  await page.selectOption("#kind", "day-off");
  await page.fill("#date", day);
  await page.fill("#source", "ҚР Үкіметінің қаулысы (демо)");
  await page.fill("#reason", "браузер сынағы");
  await page.focus("#reason");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  assert.match(await page.textContent("#recompute"), new RegExp(day));
  assert.match(await cell().textContent(), /демалыс күні/);
  await h.check(page, "admin-calendar-edited-kk");
  // Recorded; the deadline waits for the explicit recompute.
  let now = await h.api("GET", `/applications/${app.id}`, { token: admin });
  assert.equal(now.body.due_at, before);

  await Promise.all([page.waitForNavigation(), page.click("#recompute button[type=submit]")]);
  assert.equal(await page.textContent("h1"), "Мерзімдер қайта есептелді");
  now = await h.api("GET", `/applications/${app.id}`, { token: admin });
  const after = now.body.due_at;
  assert.notEqual(after, before);
  assert.ok(after > before, `${after} after ${before}`);
  const row = page.locator("table.moved tr", { hasText: app.number });
  assert.equal(await row.locator("del").textContent(), shown(before));
  assert.equal(await row.locator("ins").textContent(), shown(after));
  await h.check(page, "admin-recompute-kk");

  // The application's page (the auditor's view) shows the new deadline,
  // and the chain still holds with the recompute's event in it.
  await row.locator("a").click();
  await page.waitForSelector("#verdict");
  assert.equal(await page.textContent("#due"), shown(after));
  assert.match(await page.textContent("#verdict"), /Хэш тізбегі бүтін/);
  assert.match(await page.textContent("table.events"), /deadline-recomputed/);
  await h.check(page, "audit-application-kk");
  await page.context().close();
});

test("the administrator's other pages, in English: accounts, providers, versions, confirmations, outbox, audit log", async () => {
  const page = await h.newPage({ locale: "en-GB", width: 360 });
  await h.login(page, "admin", "demo-admin", "/admin/users");
  assert.equal(await page.textContent("h1"), "Users and roles");
  await h.check(page, "admin-users-en");
  // A mistake is explained in the reader's language.
  await page.fill("#username", "clerk-new");
  await page.fill("#display_name", "New Clerk");
  await page.selectOption("#role", "clerk");
  await page.selectOption("#provider", "karaganda-city-education");
  await page.fill("#password", "short");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/users'] button[type=submit]")]);
  assert.match(await page.textContent(".error-summary"), /password/i);
  assert.equal(await page.inputValue("#username"), "clerk-new");
  assert.equal(await page.inputValue("#provider"), "karaganda-city-education");
  await h.check(page, "admin-users-error-en");
  await page.fill("#password", "a long enough password");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/users'] button[type=submit]")]);
  assert.match(await page.textContent(".notice"), /created/);
  // Disabling asks first.
  await page.click("a[href='/admin/users/clerk-new/disable']");
  assert.match(await page.textContent("main"), /New Clerk \(clerk-new\)/);
  await h.check(page, "admin-disable-confirm-en");
  await Promise.all([page.waitForNavigation(), page.click("main form button.warning")]);
  assert.match(await page.textContent(".notice"), /disabled/);

  for (const [path, name] of [
    ["/admin/providers", "admin-providers-en"],
    ["/admin/versions", "admin-versions-en"],
    ["/admin/outbox", "admin-outbox-en"],
    ["/admin/audit", "admin-audit-en"],
    ["/admin/calendar?year=2026", "admin-calendar-year-en"],
  ]) {
    const res = await page.goto(h.base + path);
    assert.equal(res.status(), 200, path);
    await h.check(page, name);
  }
  assert.match(await page.textContent("main"), /Day of Unity|New Year|Nauryz|Наурыз/i);
  await page.goto(h.base + "/admin/audit");
  assert.match(await page.textContent("main"), /user-disabled/);
  await page.goto(h.base + "/admin/versions");
  await page.click("a[href^='/admin/versions/end?']");
  assert.match(await page.textContent("main"), /cannot be undone/);
  await h.check(page, "admin-version-end-en");
  await page.context().close();
});

test("monitoring: server-drawn SVG charts with their text and tables, the time-against-limit report, and each chart's CSV", async () => {
  const page = await h.newPage({ locale: "en-GB" });
  await h.login(page, "admin", "demo-admin", "/monitoring");
  assert.equal(await page.textContent("h1"), "Monitoring");
  const charts = page.locator("svg.chart");
  assert.equal(await charts.count(), 2);
  for (const id of ["steps", "providers"]) {
    const svg = page.locator(`svg[aria-labelledby='${id}-title ${id}-desc']`);
    assert.equal(await svg.getAttribute("role"), "img");
    assert.ok((await page.textContent(`#${id}-title`)).length > 3);
  }
  // The demo's overdue steps are drawn in red and listed.
  assert.ok((await page.locator("svg.chart rect.bar-overdue").count()) > 0);
  assert.ok((await page.locator("#overdue-title + .table-wrap tbody tr").count()) > 0);
  await h.check(page, "monitoring-en");
  // Opened data tables for the keyboard and screen readers.
  await page.click("details summary >> nth=0");
  await h.check(page, "monitoring-table-en");

  // The time against the limit: its own page, the limit a dashed line.
  await Promise.all([page.waitForNavigation(), page.click("a[href='/monitoring/times']")]);
  assert.equal(await page.getAttribute("svg[aria-labelledby='times-title times-desc']", "role"), "img");
  assert.equal(await page.locator("svg.chart line.chart-marker").count(), 1);
  assert.ok((await page.locator("svg.chart rect.bar-median").count()) > 0);
  await h.check(page, "monitoring-times-en");
  await page.goto(h.base + "/monitoring");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("a[href='/monitoring/steps.csv']"),
  ]);
  assert.equal(download.suggestedFilename(), "steps.csv");
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(csv, /^provider,service,step,open,overdue\r\n/);
  assert.match(csv, /karaganda-city-education,/);
  for (const f of ["providers", "times", "overdue"]) {
    const r = await page.request.get(`${h.base}/monitoring/${f}.csv`);
    assert.equal(r.status(), 200);
    assert.equal(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert.equal(r.headers()["content-disposition"], `attachment; filename="${f}.csv"`);
  }
  await page.context().close();
});

test("the auditor, without JavaScript, in Russian: finds an application and reads its checked chain", async () => {
  const admin = await h.token("admin", "demo-admin");
  const list = await h.api("GET", "/applications?limit=1", { token: admin });
  const number = list.body.items[0].number;
  const page = await h.newPage({ locale: "ru-RU", javaScript: false });
  await h.login(page, "auditor", "demo-auditor", "/audit");
  assert.equal(await page.textContent("h1"), "Аудит заявлений");
  await h.check(page, "audit-search-ru");
  await page.fill("#number", number);
  await Promise.all([page.waitForNavigation(), page.click("form[role=search] button")]);
  assert.match(page.url(), /\/audit\/applications\//);
  assert.match(await page.textContent("#verdict"), /Хеш-цепочка цела/);
  const links = await page.locator("table.events tbody tr").count();
  assert.equal(await page.locator("table.events tbody tr.link-ok").count(), links);
  await h.check(page, "audit-chain-ru");
  // The auditor is offered no form that changes anything.
  await page.goto(h.base + "/admin/calendar");
  assert.equal(await page.locator("form[method=post][action^='/admin']").count(), 0);
  await h.check(page, "audit-calendar-read-ru");
  await page.context().close();
  assert.deepEqual(h.cspViolations, []);
});
