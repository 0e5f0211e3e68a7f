// The State Corporation operator's workstation in a browser, in Kazakh and
// without JavaScript, against `qyzmet serve --demo` (its sandbox gateway in
// process, this server the provider's endpoint): the applicant's data from
// the individuals database, the power of attorney in the notary system, an
// incomplete package refused on the spot with the appendix 3 receipt, a
// complete one sent through the gateway and registered at the provider,
// worked there, and the result issued by the operator. axe-core and a
// screenshot on every page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { applicant, base, cspViolations, start, stop, newPage, check, act, login, meetingDay } from "./lib/harness.mjs";

const attorney = "760212350620";
const nobody = "800416300257";

before(start);
after(stop);

async function fillPackage(page, documents) {
  await page.fill("#f-child-iin", "200315500017");
  await page.fill("#f-child-name", "Асанов Нұрлан");
  await page.fill("#f-child-birth_date", "2020-03-15");
  await page.fill("#f-meeting-preferred_date", meetingDay);
  await page.fill("#f-meeting-place", "Қарағанды қаласының білім бөлімі");
  for (const d of documents) await page.check(`#doc-${d}`);
  await Promise.all([page.waitForNavigation(), page.click("#package > button[type=submit]:not(.visually-hidden)")]);
}

/// Reloads until `selector` is on the page (a background job makes it).
async function waitFor(page, selector, ms = 30000) {
  const until = Date.now() + ms;
  while (!(await page.$(selector))) {
    assert.ok(Date.now() < until, `${selector} never appeared on ${page.url()}`);
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
  }
}

/// The PDF behind a link, once the background worker has rendered it.
async function pdf(page, selector) {
  const href = await page.getAttribute(selector, "href");
  const until = Date.now() + 30000;
  let r;
  while ((r = await page.request.get(base + href)).status() === 404 && Date.now() < until) {
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.equal(r.status(), 200);
  assert.equal(r.headers()["content-type"], "application/pdf");
  assert.equal((await r.body()).subarray(0, 5).toString(), "%PDF-");
}

test("a State Corporation application from the operator's page to the provider and back, in Kazakh, without JavaScript", async () => {
  const page = await newPage({ locale: "kk-KZ", javaScript: false });
  await login(page, "operator", "demo-operator");
  await page.goto(base + "/operator");
  assert.equal(await page.getAttribute("html", "lang"), "kk");
  assert.ok(await page.$("nav a[href='/operator']"), "the workstation is in the menu");
  await check(page, "operator-home-kk");
  await Promise.all([page.waitForNavigation(), page.click("a[href='/operator/services/meeting-permission']")]);
  await check(page, "operator-lookup-kk");

  // Unknown to the individuals database: said so, and no form to send.
  await page.fill("#iin", nobody);
  await Promise.all([page.waitForNavigation(), page.click("form[method=get] button[type=submit]")]);
  assert.ok(await page.$("#applicant .error-summary"));
  assert.equal(await page.$("#package"), null);
  await check(page, "operator-unknown-kk");

  // The applicant and the representative: their data as the registries
  // hold them, and the power of attorney valid in the notary system.
  await page.fill("#iin", applicant);
  await page.fill("#rep_iin", attorney);
  await page.fill("#poa_number", "DOV-2026-0001");
  await page.fill("#poa_date", "2026-01-15");
  await Promise.all([page.waitForNavigation(), page.click("form[method=get] button[type=submit]")]);
  assert.match(await page.textContent("#applicant"), /Асанова/);
  assert.match(await page.textContent("#applicant"), /1987-10-08/);
  assert.ok(await page.$("#poa .poa-valid"));
  assert.match(await page.textContent("#poa"), /Асанов/);
  await check(page, "operator-registry-kk");

  // Only the application presented: refused on the spot, with the receipt.
  await fillPackage(page, ["application"]);
  assert.match(page.url(), /\/operator\/applications\//);
  assert.ok(await page.$("#refused"));
  await waitFor(page, "#refused a[href^='/operator/documents/']");
  await pdf(page, "#refused a[href^='/operator/documents/']");
  await check(page, "operator-refused-kk");

  // Everything presented: taken in and sent.
  await page.goto(`${base}/operator/services/meeting-permission?iin=${applicant}`);
  await fillPackage(page, ["application", "identity-document", "supporting-certificates"]);
  const id = page.url().split("/").pop();
  assert.equal(await page.$("#refused"), null);
  assert.match(await page.textContent("#live"), /Тіркеу/);
  await check(page, "operator-sent-kk");

  // The package reaches the provider through the gateway and is
  // registered there: the page says so once it has.
  await waitFor(page, "#delivery .ok");
  assert.match(await page.textContent("#delivery"), /тіркелді/);

  // The provider works it; the result comes back to the operator.
  await act("clerk", id, { action: "complete" });
  await act("head", id, { action: "complete", assignee: "specialist" });
  await act("specialist", id, { action: "complete" });
  await act("head", id, { action: "complete" });
  // The sealed result comes back through the gateway; issued once it has.
  await waitFor(page, "#result-delivery .ok");
  assert.match(await page.textContent("#result-delivery"), /шлюз/);
  assert.ok(await page.$("#issue form"));
  await check(page, "operator-issue-kk");
  await Promise.all([page.waitForNavigation(), page.click("#issue button[type=submit]")]);
  assert.match(await page.textContent(".notice"), /Нәтиже өтініш берушіге берілді/);
  assert.ok(await page.$("#live .status-completed"));
  assert.equal(await page.$("#issue"), null);
  await pdf(page, "#live a[href^='/operator/documents/']");
  await check(page, "operator-issued-kk");

  // The application in the operator's list, with its status.
  await page.goto(base + "/operator");
  assert.ok(await page.$(`a[href='/operator/applications/${id}']`));
  await check(page, "operator-list-kk");
  await page.context().close();
  assert.deepEqual(cspViolations, []);
});
