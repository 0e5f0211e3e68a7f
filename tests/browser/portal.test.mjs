// Browser tests of the citizen's portal: Debian's Chromium driven by
// playwright-core against a real `qyzmet serve --demo`, every page checked
// with axe-core (no serious or critical violation), at a 360-pixel-wide
// phone, with screenshots kept in target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { createServer as createHttpsServer } from "node:https";
import { WebSocketServer } from "ws";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const bin = process.env.QYZMET_BIN || join(root, "target", "debug", "qyzmet");
const shots = join(root, "target", "screenshots");
const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
const applicant = "871008401427";

let server, base, browser, dataDir;
const cspViolations = [];
const scriptless = new WeakSet();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitHealthy(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url + "/healthz");
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("server did not start");
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), "qyzmet-browser-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data-dir", dataDir, "--demo"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  server.stderr.on("data", (d) => (stderr += d));
  try {
    await waitHealthy(base, 60000);
  } catch (e) {
    throw new Error(`${e.message}: ${stderr.slice(-2000)}`);
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    // The stand-in NCALayer below has a self-signed certificate, as the real
    // one's is trusted only where NCALayer is installed.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

async function newPage({ locale, javaScript = true, width = 360 } = {}) {
  const context = await browser.newContext({
    locale,
    javaScriptEnabled: javaScript,
    viewport: { width, height: 800 },
    extraHTTPHeaders: locale ? { "Accept-Language": locale } : {},
  });
  const page = await context.newPage();
  if (!javaScript) scriptless.add(page);
  page.on("console", (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/// axe-core on the page (injected from its npm package; nothing fetched),
/// a screenshot, and no sideways scrolling at the page's width.
async function check(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const width = page.viewportSize().width;
  const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scroll <= width, `${name}: ${scroll}px wide at a ${width}px screen`);
  if (scriptless.has(page)) {
    // Scripts are off in this page, so axe runs on a scripted copy of its
    // HTML, styled by the same stylesheet.
    const copy = await browser.newPage({ viewport: page.viewportSize() });
    const html = (await page.content()).replace("<head>", `<head><base href="${base}/">`);
    await copy.setContent(html, { waitUntil: "load" });
    const res = await runAxe(copy, name);
    await copy.close();
    return res;
  }
  return runAxe(page, name);
}

async function runAxe(page, name) {
  // Evaluated by the driver, not as an inline script: the page's CSP
  // rightly refuses those, and any refusal fails the last test.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  });
  assert.ok(Array.isArray(result), "axe ran");
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${name || page.url()}: axe violations ${JSON.stringify(bad, null, 1)}`);
  return result;
}

async function api(method, path, { token, body, etag } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (etag) headers["if-match"] = etag;
  const r = await fetch(base + "/api/v1" + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, etag: r.headers.get("etag"), body: text ? JSON.parse(text) : null };
}

async function token(username, password) {
  const r = await api("POST", "/auth/login", { body: { username, password } });
  assert.equal(r.status, 200);
  return r.body.token;
}

async function act(who, id, body) {
  const t = await token(who, `demo-${who}`);
  // The result PDF is drafted by the background worker: until it is, the
  // head's step answers document-not-ready, and asking again is right.
  const until = Date.now() + 30000;
  let r;
  for (;;) {
    const cur = await api("GET", `/applications/${id}`, { token: t });
    r = await api("POST", `/applications/${id}/actions`, { token: t, body, etag: cur.etag });
    if (r.status !== 409 || r.body?.code !== "document-not-ready" || Date.now() > until) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function login(page, iin, password) {
  await page.goto(base + "/login");
  await page.fill("#login", iin);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("form.form button[type=submit]")]);
}

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
      form: {
        children: [{ iin: "200315500017", name: "Асанов Нұрлан", birth_date: "2020-03-15",
                     court_decision: { number: "2-1234/2026", date: "2026-01-20" } }],
        bank_account: { iban: "KZ86125KZT5004100100" },
      },
      documents: ["court-decision", "child-iin", "bank-account"].map((k) => ({ kind: k, name: `${k}.pdf`, content })),
    },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body.id;
}

/// A stand-in for NCALayer on wss://127.0.0.1:13579 speaking its JSON
/// protocol: the greeting, then `kz.gov.pki.knca.basics` `sign` (or, when
/// `legacy`, only `kz.gov.pki.knca.commonUtils` `createCAdESFromBase64`),
/// signing with the demo key through `qyzmet pki sign`, as NCALayer signs
/// with the key the citizen picks. It records the requests it got.
async function fakeNcaLayer({ legacy }) {
  const key = join(dataDir, "ncalayer-key.pem");
  const cert = join(dataDir, "ncalayer-cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdio: "ignore" });
  const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) });
  const wss = new WebSocketServer({ server: https });
  const requests = [];
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ result: { version: "1.4" } }));
    ws.on("message", (raw) => {
      const req = JSON.parse(String(raw));
      requests.push(req);
      const sign = (b64) => {
        const input = join(dataDir, "ncalayer-in.bin");
        const out = join(dataDir, "ncalayer-out.p7s");
        writeFileSync(input, Buffer.from(b64, "base64"));
        execFileSync(bin, ["pki", "sign", "--p12", join(dataDir, "demo-pki", `${applicant}.p12`), "--password", "demo", "--in", input, "--out", out]);
        return readFileSync(out).toString("base64");
      };
      if (req.module === "kz.gov.pki.knca.basics" && !legacy) {
        assert.equal(req.method, "sign");
        assert.equal(req.args.format, "cms");
        ws.send(JSON.stringify({ status: true, body: { result: [sign(req.args.data)] } }));
      } else if (req.module === "kz.gov.pki.knca.commonUtils" && req.method === "createCAdESFromBase64") {
        ws.send(JSON.stringify({ code: "200", responseObject: sign(req.args[2]) }));
      } else {
        ws.send(JSON.stringify({ code: "500", message: `module ${req.module} not found` }));
      }
    });
  });
  await new Promise((resolve, reject) => {
    https.once("error", reject);
    https.listen(13579, "127.0.0.1", resolve);
  });
  return {
    requests,
    close: () => new Promise((resolve) => { for (const c of wss.clients) c.terminate(); wss.close(); https.close(resolve); }),
  };
}

for (const legacy of [false, true]) {
  test(`signing with NCALayer (${legacy ? "an older one: commonUtils" : "the basics module"}) from the draft's page`, async () => {
    const nca = await fakeNcaLayer({ legacy });
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
  await Promise.all([page.waitForNavigation(), page.click("form[action$='/withdraw'] button")]);
  assert.match(await page.textContent(".notice"), /отозвано/);
  await check(page, "cabinet-ru");
  await page.context().close();
});

test("service C to its result: the cabinet follows the staff's steps live (htmx) and offers the result", async () => {
  // The office takes in an application with the applicant's IIN.
  const clerk = await token("clerk", "demo-clerk");
  const made = await api("POST", "/applications", {
    token: clerk,
    body: {
      service: "adoption-payment",
      channel: "office",
      applicant: { iin: applicant, name: "Демо Заявитель", language: "ru" },
      form: {
        children: [{ iin: "200315500017", name: "Асанов Нұрлан", birth_date: "2020-03-15",
                     court_decision: { number: "2-1234/2026", date: "2026-01-20" } }],
        bank_account: { iban: "KZ86125KZT5004100100" },
      },
      documents: ["court-decision", "child-iin", "bank-account"].map((k) => ({ kind: k, name: k })),
    },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;
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
