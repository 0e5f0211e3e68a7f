// Browser tests of the citizen's portal: Debian's Chromium driven by
// playwright-core against a real `qyzmet serve --demo`, every page checked
// with axe-core (no serious or critical violation), at a 360-pixel-wide
// phone, with screenshots kept in target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { base, bin, dataDir, start, stop, newPage, check, api, token, act, login, applicant, officeApplication, serviceCForm, serviceCDocuments, cspViolations, fakeNcaLayer } from "./lib/harness.mjs";


before(start);
after(stop);

test("the catalog and a regulation in Kazakh, chosen from Accept-Language", async () => {
  const page = await newPage({ locale: "kk-KZ" });
  const res = await page.goto(base + "/");
  assert.equal(res.status(), 200);
  assert.equal(await page.getAttribute("html", "lang"), "kk");
  assert.equal(await page.textContent("h1"), "Мемлекеттік қызметтер");
  assert.match(await page.textContent(".demo-banner"), /Демо режим/);
  assert.ok(res.headers()["content-security-policy"].includes("script-src 'self'"));
  await check(page, "catalog-kk");
  await page.click("a[href='/services/adoption-payment']");
  assert.match(await page.textContent("main"), /Қадамдар мен мерзімдер/);
  assert.match(await page.textContent("main"), /жұмыс күні/);
  assert.match(await page.textContent("main"), /64\/04/);
  await check(page, "regulation-kk");
  // The keyboard: the first Tab reaches the skip link.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
  // The switch is remembered in a cookie.
  await page.click("a[hreflang=en]");
  await page.goto(base + "/");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await page.context().close();
});

test("an unknown page is an error page in the reader's language with the request id", async () => {
  const page = await newPage({ locale: "ru-RU" });
  const res = await page.goto(base + "/no-such-page");
  assert.equal(res.status(), 404);
  assert.equal(await page.textContent("h1"), "Не найдено");
  assert.equal((await page.textContent(".request-id")).trim(), res.headers()["x-request-id"]);
  await check(page, "error-ru");
  await page.context().close();
});

test("registration: the form, the one-time text to sign, and a refusal of what is not a signature", async () => {
  const page = await newPage({ locale: "kk-KZ" });
  await page.goto(base + "/register");
  await check(page, "register-kk");
  const download = await Promise.all([page.waitForEvent("download"), page.click("a[href='/register/challenge']")]);
  const challenge = readFileSync(await download[0].path(), "utf8");
  assert.match(challenge, /^qyzmet-registration\.\d+\./);
  const p7s = join(dataDir, "challenge.p7s");
  // DER-shaped bytes: the page reads them and the verifier refuses them.
  writeFileSync(p7s, Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]));
  await page.fill("#iin", "760212350620");
  await page.fill("#name", "Тестов Тест");
  await page.fill("#password", "a-long-password");
  await page.fill("#password2", "a-long-password");
  await page.setInputFiles("#signature", p7s);
  await Promise.all([page.waitForNavigation(), page.click("form.form button[type=submit]")]);
  assert.match(await page.textContent(".error-summary"), /Қолтаңба оқылмады/);
  await check(page, "register-refused-kk");
  // No account was made for an IIN nobody proved.
  const r = await api("POST", "/auth/login", { body: { iin: "760212350620", password: "a-long-password" } });
  assert.equal(r.status, 401);
  await page.context().close();
});

test("service C through the portal in Russian, without JavaScript: form, documents, draft, signed with a .p7s, to the result, verified in Kazakh", async () => {
  const page = await newPage({ locale: "ru-RU", javaScript: false });
  await login(page, applicant, "demo-applicant");
  assert.equal(new URL(page.url()).pathname, "/cabinet");
  await page.goto(base + "/services/adoption-payment/apply");
  assert.equal(await page.getAttribute("html", "lang"), "ru");
  await check(page, "apply-ru");
  // First a mistake: the server answers field by field, in Russian.
  await page.fill("#f-children-0-iin", "200315500018");
  await page.fill("#f-children-0-name", "Асанов Нұрлан");
  await page.fill("#f-children-0-birth_date", "2020-03-15");
  await page.fill("#f-children-0-court_decision-number", "2-1234/2026");
  await page.fill("#f-children-0-court_decision-date", "2026-01-20");
  await page.fill("#f-bank_account-iban", "KZ86125KZT5004100100");
  const pdf = join(dataDir, "doc.pdf");
  writeFileSync(pdf, "%PDF-1.4\n%\xE2\xE3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  for (const input of await page.$$("input[type=file]")) await input.setInputFiles(pdf);
  await Promise.all([page.waitForNavigation(), page.click("form.form > button[type=submit]:not(.visually-hidden)")]);
  assert.match(await page.textContent("#f-children-0-iin-error"), /ИИН неверен/);
  await check(page, "apply-errors-ru");
  await page.fill("#f-children-0-iin", "200315500017");
  for (const input of await page.$$("input[type=file]")) await input.setInputFiles(pdf);
  await Promise.all([page.waitForNavigation(), page.click("form.form > button[type=submit]:not(.visually-hidden)")]);
  assert.match(page.url(), /\/cabinet\/applications\//);
  assert.match(await page.textContent("#live"), /черновик/);
  await check(page, "draft-ru");
  // The signature upload: a .p7s from any tool.
  const p7s = join(dataDir, "application.p7s");
  writeFileSync(p7s, Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]));
  await page.setInputFiles("#signature", p7s);
  await Promise.all([page.waitForNavigation(), page.click("#sign-form button[type=submit]")]);
  // Not a signature: refused on the page, and the draft stays a draft.
  assert.match(await page.textContent(".error-summary"), /Подпись не читается/);
  assert.match(await page.textContent("#live"), /черновик/);
  await check(page, "sign-answer-ru");
  // The bytes to sign, downloaded, signed with the demo key by the CLI as
  // any tool would, and uploaded: the application is submitted.
  const [bytes] = await Promise.all([page.waitForEvent("download"), page.click("a[href$='/to-sign']")]);
  const toSign = join(dataDir, "application.bin");
  await bytes.saveAs(toSign);
  const p12 = join(dataDir, "demo-pki", `${applicant}.p12`);
  execFileSync(bin, ["pki", "sign", "--p12", p12, "--password", "demo", "--in", toSign, "--out", p7s]);
  await page.setInputFiles("#signature", p7s);
  await Promise.all([page.waitForNavigation(), page.click("#sign-form button[type=submit]")]);
  assert.match(await page.textContent("#live"), /на рассмотрении/);
  assert.equal(await page.$("#sign-form"), null);
  await check(page, "signed-ru");
  const id = page.url().split("/cabinet/applications/")[1].split(/[?#]/)[0];
  // The office and the department work it (their pages have tests of
  // their own); the applicant sees each step on reloading.
  await act("clerk", id, { action: "complete" });
  await act("head", id, { action: "complete", assignee: "specialist" });
  await act("specialist", id, { action: "complete" });
  await page.reload();
  assert.match(await page.textContent("#live"), /на рассмотрении/);
  await act("head", id, { action: "complete" });
  await act("clerk", id, { action: "complete" });
  await page.reload();
  assert.match(await page.textContent("#live"), /завершено/);
  assert.match(await page.textContent("#live"), /положительное решение/);
  await check(page, "portal-result-ru");
  // The result PDF, from the cabinet.
  const href = await page.getAttribute("#live a[href^='/cabinet/documents/']", "href");
  const res = await page.request.get(base + href);
  assert.equal(res.status(), 200);
  const pdfBytes = await res.body();
  assert.equal(pdfBytes.subarray(0, 5).toString(), "%PDF-");
  const resultPdf = join(dataDir, "result.pdf");
  writeFileSync(resultPdf, pdfBytes);
  await page.context().close();

  // Anyone holding the paper follows its QR code to the verify page; here
  // in Kazakh, and the file they hold is checked against the stored one.
  const code = href.split("/").pop();
  const v = await newPage({ locale: "kk-KZ" });
  const vr = await v.goto(`${base}/verify/${code}`);
  assert.equal(vr.status(), 200);
  assert.equal(await v.getAttribute("html", "lang"), "kk");
  assert.equal(await v.textContent("h1"), "Құжатты тексеру");
  assert.match(await v.textContent("main"), /түпнұсқа/);
  assert.match(await v.textContent("main"), /нәтиже \(оң\)/);
  assert.ok(!(await v.textContent("main")).includes(applicant), "the page shows no IIN");
  await check(v, "verify-kk");
  await v.setInputFiles("#pdf", resultPdf);
  await Promise.all([v.waitForNavigation(), v.click("form.panel button[type=submit]")]);
  assert.match(await v.textContent("#upload-result"), /Файл осы құжатпен бірдей/);
  await check(v, "verify-match-kk");
  // An unknown code names nothing.
  const unknown = await v.goto(`${base}/verify/00000000000000000000`);
  assert.equal(unknown.status(), 404);
  assert.match(await v.textContent("main"), /құжат табылмады/);
  await check(v, "verify-unknown-kk");
  await v.context().close();
});

/// A portal draft of service C made through the API, as the apply page
/// would make it.
async function portalDraft() {
  const t = (await api("POST", "/auth/login", { body: { iin: applicant, password: "demo-applicant" } })).body.token;
  const content = Buffer.from("%PDF-1.4\n%\xE2\xE3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").toString("base64");
  const made = await api("POST", "/applications", {
    token: t,
    body: {
      service: "adoption-payment",
      channel: "portal",
      applicant: { iin: applicant, language: "ru" },
      form: serviceCForm,
      documents: serviceCDocuments.map((k) => ({ kind: k, name: `${k}.pdf`, content })),
    },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body.id;
}

for (const legacy of [false, true]) {
  test(`signing with NCALayer (${legacy ? "an older one: commonUtils" : "the basics module"}) from the draft's page`, async () => {
    const nca = await fakeNcaLayer({ legacy, p12: `${applicant}.p12` });
    try {
      const id = await portalDraft();
      const page = await newPage({ locale: "ru-RU", width: 1024 });
      await login(page, applicant, "demo-applicant");
      await page.goto(`${base}/cabinet/applications/${id}`);
      // The button appears only once NCALayer answers.
      await page.waitForSelector("#ncalayer:not([hidden])", { timeout: 10000 });
      const mine = (await api("POST", "/auth/login", { body: { iin: applicant, password: "demo-applicant" } })).body.token;
      const toSign = (await api("GET", `/applications/${id}`, { token: mine })).body.to_sign;
      assert.ok(toSign);
      await check(page, `ncalayer-${legacy ? "legacy" : "basics"}-ru`);
      await Promise.all([page.waitForNavigation(), page.click("#ncalayer")]);
      assert.match(await page.textContent("#live"), /на рассмотрении/);
      const modules = nca.requests.map((r) => r.module);
      assert.deepEqual(modules, legacy
        ? ["kz.gov.pki.knca.basics", "kz.gov.pki.knca.commonUtils"]
        : ["kz.gov.pki.knca.basics"]);
      // What NCALayer was asked to sign is exactly the application's to_sign.
      const last = nca.requests.at(-1);
      assert.equal(legacy ? last.args[2] : last.args.data, toSign);
      const t = await token("clerk", "demo-clerk");
      const app = await api("GET", `/applications/${id}`, { token: t });
      assert.equal(app.body.status, "in-progress");
      await page.context().close();
    } finally {
      await nca.close();
    }
  });
}

test("without NCALayer the button stays hidden and the upload is the way", async () => {
  const id = await portalDraft();
  const page = await newPage({ locale: "kk-KZ" });
  await login(page, applicant, "demo-applicant");
  await page.goto(`${base}/cabinet/applications/${id}`);
  await page.waitForTimeout(1000);
  assert.equal(await page.isVisible("#ncalayer"), false);
  assert.equal(await page.isVisible("#signature"), true);
  await page.context().close();
});

test("a draft is withdrawn from the cabinet before a result", async () => {
  const id = await portalDraft();
  const page = await newPage({ locale: "ru-RU", javaScript: false });
  await login(page, applicant, "demo-applicant");
  await page.goto(`${base}/cabinet/applications/${id}`);
  assert.match(await page.textContent("#live"), /черновик/);
  await page.check("#withdraw-confirm");
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/withdraw'] button")]);
  assert.match(await page.textContent(".notice"), /отозвано/);
  await check(page, "cabinet-ru");
  await page.context().close();
});

test("service C to its result: the cabinet follows the staff's steps live (htmx) and offers the result", async () => {
  // The office takes in an application with the applicant's IIN.
  const id = await officeApplication();
  const page = await newPage({ locale: "ru-RU", width: 1024 });
  await login(page, applicant, "demo-applicant");
  await page.goto(`${base}/cabinet/applications/${id}`);
  assert.match(await page.textContent("#live"), /на рассмотрении/);
  assert.match(await page.textContent("#live"), /Регистрация/);
  await check(page, "in-progress-ru");
  await act("clerk", id, { action: "complete" });
  await act("head", id, { action: "complete", assignee: "specialist" });
  await act("specialist", id, { action: "complete" });
  await act("head", id, { action: "complete" });
  await act("clerk", id, { action: "complete" });
  // No reload: the status part polls.
  await page.waitForFunction(() => /завершено/.test(document.querySelector("#live").textContent), null, { timeout: 15000 });
  assert.match(await page.textContent("#live"), /положительное решение/);
  const href = await page.getAttribute("#live a[href^='/cabinet/documents/']", "href");
  assert.ok(href);
  await check(page, "completed-ru");
  await page.context().close();
  assert.deepEqual(cspViolations, []);
});
