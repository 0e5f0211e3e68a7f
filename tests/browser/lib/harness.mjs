// What every browser test file needs: a real `qyzmet serve --demo` on a
// free port with its own data directory, Debian's Chromium through
// playwright-core, pages at a phone's width, and `check` — a screenshot
// kept in target/screenshots/, no sideways scrolling, and axe-core with no
// serious or critical violation. Plus the JSON API for setting the scene.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { WebSocketServer } from "ws";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
export const bin = process.env.QYZMET_BIN || join(root, "target", "debug", "qyzmet");
export const shots = join(root, "target", "screenshots");
const axeSource = readFileSync(join(here, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");

/** The server's address and its data directory, once `start` has run. */
export let base, dataDir;
export let browser;
let server;
/** Every Content-Security-Policy refusal a page reported. */
export const cspViolations = [];
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

/** Starts the demo server and the browser (a `before` hook). */
export async function start() {
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
    // The portal's stand-in NCALayer has a self-signed certificate, as the
    // real one's is trusted only where NCALayer is installed.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors"],
  });
}

/** Stops them (an `after` hook). */
export async function stop() {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

export async function newPage({ locale, javaScript = true, width = 360 } = {}) {
  const context = await browser.newContext({
    locale,
    javaScriptEnabled: javaScript,
    viewport: { width, height: 800 },
    extraHTTPHeaders: locale ? { "Accept-Language": locale } : {},
    acceptDownloads: true,
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
export async function check(page, name) {
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

export async function api(method, path, { token, body, etag } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (etag) headers["if-match"] = etag;
  const r = await fetch(base + "/api/v1" + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, etag: r.headers.get("etag"), body: text ? JSON.parse(text) : null };
}

export async function token(username, password) {
  const r = await api("POST", "/auth/login", { body: { username, password } });
  assert.equal(r.status, 200);
  return r.body.token;
}

/** A demo staff user's action on an application, with its ETag. */
export async function act(who, id, body) {
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

/** Logs in through the page; `next` is where the login sends on. */
export async function login(page, name, password, next) {
  await page.goto(base + "/login" + (next ? `?next=${encodeURIComponent(next)}` : ""));
  await page.fill("#login", name);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("form.form button[type=submit]")]);
}

/** The demo applicant's IIN. */
export const applicant = "871008401427";

/** An application taken in at the office by the demo clerk, through the API; its id. */
export async function officeIntake(service, applicantName, language, form, kinds) {
  const made = await api("POST", "/applications", {
    token: await token("clerk", "demo-clerk"),
    body: {
      service,
      channel: "office",
      applicant: { iin: applicant, name: applicantName, language },
      form,
      documents: kinds.map((k) => ({ kind: k, name: k })),
    },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body.id;
}

/** A meeting date service A's form takes: a month from today (its schema refuses one in the past). */
export const meetingDay = new Date(Date.now() + 30 * 86400000).toISOString().slice(0, 10);

/** A complete service C form for the demo children, and its documents. */
export const serviceCForm = {
  children: [{ iin: "200315500017", name: "Асанов Нұрлан", birth_date: "2020-03-15",
               court_decision: { number: "2-1234/2026", date: "2026-01-20" } }],
  bank_account: { iban: "KZ86125KZT5004100100" },
};
export const serviceCDocuments = ["court-decision", "child-iin", "bank-account"];

/** Service C taken in at the office for the demo applicant; its id. */
export function officeApplication() {
  return officeIntake("adoption-payment", "Демо Заявитель", "ru", serviceCForm, serviceCDocuments);
}

/// A stand-in for NCALayer on wss://127.0.0.1:13579 speaking its JSON
/// protocol: the greeting, then `kz.gov.pki.knca.basics` `sign` (or, when
/// `legacy`, only `kz.gov.pki.knca.commonUtils` `createCAdESFromBase64`),
/// signing with the demo key `p12` (a file of the demo PKI) through
/// `qyzmet pki sign`, as NCALayer signs with the key its user picks:
/// detached when asked (`encapsulate: false`, or the legacy call's last
/// argument false). It records the requests it got.
export async function fakeNcaLayer({ legacy, p12 }) {
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
      const sign = (b64, attach) => {
        const input = join(dataDir, "ncalayer-in.bin");
        const out = join(dataDir, "ncalayer-out.p7s");
        writeFileSync(input, Buffer.from(b64, "base64"));
        execFileSync(bin, ["pki", "sign", "--p12", join(dataDir, "demo-pki", p12), "--password", "demo",
          "--in", input, "--out", out, ...(attach ? [] : ["--detached"])]);
        return readFileSync(out).toString("base64");
      };
      if (req.module === "kz.gov.pki.knca.basics" && !legacy) {
        assert.equal(req.method, "sign");
        assert.equal(req.args.format, "cms");
        ws.send(JSON.stringify({ status: true, body: { result: [sign(req.args.data, req.args.signingParams.encapsulate)] } }));
      } else if (req.module === "kz.gov.pki.knca.commonUtils" && req.method === "createCAdESFromBase64") {
        ws.send(JSON.stringify({ code: "200", responseObject: sign(req.args[2], req.args[3]) }));
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
