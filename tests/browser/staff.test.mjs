// Browser tests of the office's workspace (/work): a whole service A
// application through the office channel in Kazakh — the clerk takes the
// paper package in and registers it, the head names the specialist, the
// specialist completes the review, the head signs the drafted result, the
// clerk issues it — with the receipt and the result PDFs downloaded; and a
// motivated refusal with grounds. Every page is checked with axe-core at a
// 360-pixel-wide phone, screenshots kept (lib/harness.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { start, stop, base, bin, dataDir, applicant, cspViolations, newPage, check, act, api, token, officeIntake, officeApplication, fakeNcaLayer, meetingDay } from "./lib/harness.mjs";

before(start);
after(stop);

async function staffLogin(page, user) {
  await page.goto(base + "/login");
  await page.fill("#login", user);
  await page.fill("#password", `demo-${user}`);
  await Promise.all([page.waitForNavigation(), page.click("form.form button[type=submit]")]);
}

/// Follows a link that answers a file; the file's bytes.
async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return readFileSync(await file.path());
}

/// A document is drafted by the background worker: until it is there, the
/// link answers an error page; the page is reloaded until it is.
async function downloadWhenReady(page, selector) {
  const until = Date.now() + 30000;
  for (;;) {
    const href = await page.getAttribute(selector, "href");
    const r = await page.request.get(base + href);
    if (r.ok() || Date.now() > until) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  return download(page, selector);
}

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test("service A through the office in Kazakh: intake, register, resolution, review, signing, issue", async () => {
  // The clerk works without JavaScript: every step is a plain form.
  const clerk = await newPage({ locale: "kk-KZ", javaScript: false });
  await staffLogin(clerk, "clerk");
  assert.equal(new URL(clerk.url()).pathname, "/work");
  assert.equal(await clerk.getAttribute("html", "lang"), "kk");
  assert.match(await clerk.textContent("h1"), /Кеңсе/);
  await check(clerk, "staff-clerk-journal-kk");
  await submit(clerk, "main a[href='/work/intake']");
  await check(clerk, "staff-intake-services-kk");
  await submit(clerk, "a[href='/work/intake/meeting-permission']");
  await check(clerk, "staff-intake-form-kk");
  await clerk.fill("#iin", applicant);
  await clerk.fill("#name", "Демо Өтініш Беруші");
  await clerk.fill("#f-child-iin", "200315500017");
  await clerk.fill("#f-child-name", "Асанов Нұрлан");
  await clerk.fill("#f-child-birth_date", "2020-03-15");
  await clerk.fill("#f-meeting-preferred_date", meetingDay);
  await clerk.fill("#f-meeting-place", "Қарағанды");
  for (const box of await clerk.$$("input[name=doc]")) await box.check();
  await submit(clerk, "#intake-form > button[type=submit]:not(.visually-hidden)");
  assert.match(clerk.url(), /\/work\/applications\/[0-9a-f-]{36}\?done=intake$/);
  const id = new URL(clerk.url()).pathname.split("/").pop();
  assert.match(await clerk.textContent(".notice"), /Өтініш қабылданды/);
  assert.match(await clerk.textContent("#live"), /қаралуда/);
  await check(clerk, "staff-intake-done-kk");
  const receipt = await downloadWhenReady(clerk, "#receipt");
  assert.equal(receipt.subarray(0, 4).toString(), "%PDF");
  // Register: numbered in the journal, sent to the head.
  await submit(clerk, "#complete");
  assert.match(await clerk.textContent(".notice"), /KZ-\d{4}-\d+/);
  assert.match(await clerk.textContent("#journal"), /Демо Өтініш Беруші/);
  await check(clerk, "staff-clerk-registered-kk");

  // The head: the inbox, the resolution naming the specialist.
  const head = await newPage({ locale: "kk-KZ" });
  await staffLogin(head, "head");
  assert.equal(new URL(head.url()).pathname, "/work");
  await check(head, "staff-head-inbox-kk");
  await submit(head, `#queue a[href='/work/applications/${id}']`);
  await check(head, "staff-head-resolution-kk");
  await head.selectOption("#assignee", "specialist");
  // The keyboard reaches the resolution's button from its select.
  await head.focus("#assignee");
  await head.keyboard.press("Tab");
  assert.equal(await head.evaluate(() => document.activeElement.textContent), "Бұрыштама қою: маманға жіберу");
  await Promise.all([head.waitForNavigation(), head.keyboard.press("Enter")]);
  assert.match(await head.textContent(".notice"), /KZ-/);

  // The specialist: the worklist, the documents against item 9, the review.
  const specialist = await newPage({ locale: "kk-KZ" });
  await staffLogin(specialist, "specialist");
  assert.match(await specialist.textContent("h1"), /Менің жұмыс тізімім/);
  await check(specialist, "staff-specialist-worklist-kk");
  await submit(specialist, `#queue a[href='/work/applications/${id}']`);
  assert.equal((await specialist.$$("#documents .tag:not(.tag-warn)")).length, 3);
  assert.match(await specialist.textContent("#form-data"), /Асанов Нұрлан/);
  await check(specialist, "staff-specialist-case-kk");
  await submit(specialist, "#complete");

  // The head reviews the drafted result and signs it with the demo key.
  await head.goto(`${base}/work/applications/${id}`);
  const draft = await downloadWhenReady(head, "#draft-result");
  assert.equal(draft.subarray(0, 4).toString(), "%PDF");
  await check(head, "staff-head-sign-kk");
  const until = Date.now() + 30000;
  for (;;) {
    await submit(head, "#sign-server");
    if (new URL(head.url()).pathname === "/work" || Date.now() > until) break;
    // document-not-ready: the draft is still being rendered.
    assert.match(await head.textContent(".error-summary"), /.+/);
    await new Promise((res) => setTimeout(res, 500));
    await head.goto(`${base}/work/applications/${id}`);
  }
  assert.equal(new URL(head.url()).pathname, "/work");

  // The clerk issues the sealed result, downloaded first.
  await clerk.goto(`${base}/work/applications/${id}`);
  await check(clerk, "staff-clerk-issue-kk");
  const result = await download(clerk, "#result-pdf");
  assert.equal(result.subarray(0, 4).toString(), "%PDF");
  await submit(clerk, "#complete");
  await clerk.goto(`${base}/work/applications/${id}`);
  assert.match(await clerk.textContent("#live"), /аяқталды/);
  assert.match(await clerk.textContent("#live"), /оң шешім/);
  assert.equal(await clerk.$("#actions"), null);
  await check(clerk, "staff-completed-kk");
  for (const p of [clerk, head, specialist]) await p.context().close();
});

test("a motivated refusal with grounds, and a stale form answered on the page", async () => {
  const id = await officeIntake(
    "meeting-permission",
    "Демо Өтініш Беруші",
    "kk",
    {
      child: { iin: "200315500017", name: "Асанов Нұрлан", birth_date: "2020-03-15" },
      meeting: { preferred_date: meetingDay },
    },
    ["application", "identity-document", "supporting-certificates"],
  );
  await act("clerk", id, { action: "complete" });
  await act("head", id, { action: "complete", assignee: "specialist" });

  const specialist = await newPage({ locale: "kk-KZ" });
  await staffLogin(specialist, "specialist");
  await specialist.goto(`${base}/work/applications/${id}`);
  // Someone else acts meanwhile (a pause and a resume): the open page is stale.
  await act("specialist", id, { action: "pause" });
  await act("specialist", id, { action: "resume" });
  await specialist.check("#ground-documents-violation");
  await specialist.fill("#reason", "Анықтаманың мерзімі өткен");
  await submit(specialist, "#refuse-form button[type=submit]");
  assert.match(await specialist.textContent(".error-summary"), /Өтініш өзгерді/);
  // Nothing typed is lost; the form now carries the new ETag.
  assert.equal(await specialist.inputValue("#reason"), "Анықтаманың мерзімі өткен");
  assert.ok(await specialist.isChecked("#ground-documents-violation"));
  await check(specialist, "staff-stale-kk");
  await submit(specialist, "#refuse-form button[type=submit]");
  assert.equal(new URL(specialist.url()).pathname, "/work");

  const head = await newPage({ locale: "kk-KZ" });
  await staffLogin(head, "head");
  await head.goto(`${base}/work/applications/${id}`);
  assert.match(await head.textContent("#refusal-title"), /Бас тарту негіздері/);
  assert.match(await head.textContent("main"), /Анықтаманың мерзімі өткен/);
  await check(head, "staff-refusal-sign-kk");
  // The head signs the drafted refusal with their own key: the PDF's bytes
  // downloaded, a detached CMS made by the CLI as any tool would, uploaded.
  const draft = await downloadWhenReady(head, "#draft-result");
  assert.equal(draft.subarray(0, 4).toString(), "%PDF");
  const pdf = join(dataDir, "refusal.pdf");
  const p7s = join(dataDir, "refusal.p7s");
  writeFileSync(pdf, draft);
  execFileSync(bin, ["pki", "sign", "--p12", join(dataDir, "demo-pki", "head.p12"), "--password", "demo", "--in", pdf, "--out", p7s]);
  await head.setInputFiles("#signature", p7s);
  await submit(head, "#sign-form button[type=submit]");
  assert.equal(new URL(head.url()).pathname, "/work", await head.textContent("main"));
  await head.goto(`${base}/work/applications/${id}`);
  assert.match(await head.textContent("#live"), /Беру/);
  await specialist.context().close();
  await head.context().close();
  assert.deepEqual(cspViolations, []);
});

test("the head seals the drafted result with their own key through NCALayer: a detached signature over the PDF", async () => {
  const nca = await fakeNcaLayer({ legacy: false, p12: "head.p12" });
  try {
    const id = await officeApplication();
    await act("clerk", id, { action: "complete" });
    await act("head", id, { action: "complete", assignee: "specialist" });
    await act("specialist", id, { action: "complete" });
    const head = await newPage({ locale: "ru-RU", width: 1024 });
    await staffLogin(head, "head");
    // The draft is rendered by the job runner: the page offers it once ready.
    await head.goto(`${base}/work/applications/${id}`);
    const draft = await downloadWhenReady(head, "#draft-result");
    const code = (await head.getAttribute("#draft-result", "href")).split("/").pop();
    await head.goto(`${base}/work/applications/${id}`);
    await head.waitForSelector("#ncalayer:not([hidden])", { timeout: 10000 });
    await check(head, "staff-head-ncalayer-ru");
    await Promise.all([head.waitForNavigation(), head.click("#ncalayer")]);
    assert.equal(new URL(head.url()).pathname, "/work", await head.textContent("main"));
    // NCALayer was asked for a detached signature over exactly the draft.
    assert.equal(nca.requests.length, 1);
    assert.equal(nca.requests[0].args.signingParams.encapsulate, false);
    assert.equal(nca.requests[0].args.data, draft.toString("base64"));
    const t = await token("head", "demo-head");
    const app = await api("GET", `/applications/${id}`, { token: t });
    assert.equal(app.body.step, "issue");
    const checked = await api("GET", `/verify/${code}`);
    assert.equal(checked.body.valid, true);
    await head.context().close();
    assert.deepEqual(cspViolations, []);
  } finally {
    await nca.close();
  }
});
