// Browser tests of the citizen's portal: Debian's Chromium driven by
// playwright-core against a real `qyzmet serve --demo`, every page checked
// with axe-core (no serious or critical violation), at a 360-pixel-wide
// phone, with screenshots kept in target/screenshots/ (harness.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setup, base, bin, dataDir, applicant, cspViolations, newPage, check, api, act, login, officeIntake } from "./harness.mjs";

setup();

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

test("service C through the portal in Russian, without JavaScript: form, documents, draft, signed with a .p7s, withdrawal", async () => {
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
  await Promise.all([page.waitForNavigation(), page.click("form.form > button[type=submit]")]);
  assert.match(await page.textContent("#f-children-0-iin-error"), /ИИН неверен/);
  await check(page, "apply-errors-ru");
  await page.fill("#f-children-0-iin", "200315500017");
  for (const input of await page.$$("input[type=file]")) await input.setInputFiles(pdf);
  await Promise.all([page.waitForNavigation(), page.click("form.form > button[type=submit]")]);
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
  // Withdrawal before a result.
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/withdraw'] button")]);
  assert.match(await page.textContent(".notice"), /отозвано/);
  await check(page, "cabinet-ru");
  await page.context().close();
});

test("service C to its result: the cabinet follows the staff's steps live (htmx) and offers the result", async () => {
  // The office takes in an application with the applicant's IIN.
  const id = await officeIntake(
    "adoption-payment",
    "Демо Заявитель",
    "ru",
    {
      children: [{ iin: "200315500017", name: "Асанов Нұрлан", birth_date: "2020-03-15",
                   court_decision: { number: "2-1234/2026", date: "2026-01-20" } }],
      bank_account: { iban: "KZ86125KZT5004100100" },
    },
    ["court-decision", "child-iin", "bank-account"],
  );
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
