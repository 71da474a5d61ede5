// Drives the service's Swagger UI in a real browser, as a person would: opens /swagger-ui/, expands
// the v1.0 create operation, clicks "Try it out" and "Execute" with the example body the document
// ships, and reads the live response that the page renders: it must be a 201 whose body has the new
// device's id (a GUID).
//
//   [SWAGGER_UI_TOKEN=<bearer token>] node swagger_ui.mjs http://127.0.0.1:PORT SCREENSHOT.png
//
// With SWAGGER_UI_TOKEN, it first authorizes through Swagger UI's Authorize button.
// Prints `swagger-ui: 201 <id>` and, last, `swagger-ui browser: 1 passed, 0 failed`; on failure the
// reason and `swagger-ui browser: 0 passed, 1 failed`, with exit code 1. A full-page screenshot is
// saved either way. The browser is Debian's Chromium (scripts/browser-env installs it); playwright-core
// ships none of its own.

import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { chromium } from "playwright-core";

const EXECUTABLE = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** Every single wait (launch, navigation, an element, the response) is bounded by this. */
const WAIT_MS = 30_000;

const TAG = "deviceManagement.windowsAutopilotDeviceIdentity";
const OPERATION_ID = "deviceManagement.CreateWindowsAutopilotDeviceIdentities";
const METHOD = "post";
const PATH = "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

/**
 * Swagger UI's id for an operation's block: `operations-<tag>-<operationId>`, each part with spaces
 * made `_` and then CSS-escaped, so the id attribute itself holds `\.` where the name has a dot.
 * Matching with the backslashes removed keeps this independent of the escaping.
 */
function wantedBlockId() {
  const part = (s) => s.trim().replace(/\s/g, "_");
  return `operations-${part(TAG)}-${part(OPERATION_ID)}`;
}

/** A CSS selector that matches an id attribute exactly, whatever characters it holds. */
function idSelector(id) {
  return `[id=${JSON.stringify(id)}]`; // a JSON string is a valid CSS string for these characters
}

async function findOperationBlock(page) {
  const wanted = wantedBlockId();
  // With `docExpansion: "none"` the tag's section starts collapsed and holds no operation blocks.
  const tag = page.locator(`.opblock-tag[data-tag=${JSON.stringify(TAG)}]`).first();
  if ((await tag.count()) && (await tag.getAttribute("data-is-open")) === "false") {
    await tag.click({ timeout: WAIT_MS });
    await page.locator(".opblock-tag-section.is-open .opblock").first().waitFor({ state: "visible", timeout: WAIT_MS });
  }
  const ids = await page.$$eval('.opblock[id^="operations-"]', (blocks) => blocks.map((b) => b.id));
  const id = ids.find((candidate) => candidate.replace(/\\/g, "") === wanted);
  if (id === undefined) {
    fail(`no operation block ${wanted} among ${ids.length}: ${ids.slice(0, 40).join(" ")}`);
  }
  const block = page.locator(idSelector(id));
  // The right method and path, not the beta twin (whose operationId starts with `beta.`).
  if (!(await block.evaluate((b) => b.classList.contains("opblock-post")))) {
    fail(`${id} is not a POST block`);
  }
  const path = await block.locator(".opblock-summary-path").first().getAttribute("data-path");
  if (path !== PATH) {
    fail(`${id} is for ${path}, not ${PATH}`);
  }
  return { id, block };
}

async function run(base, diagnostics, page) {
  const url = `${base.replace(/\/+$/, "")}/swagger-ui/`;
  const response = await page.goto(url, { waitUntil: "domcontentloaded", timeout: WAIT_MS });
  if (!response || response.status() !== 200) {
    fail(`GET ${url}: ${response ? response.status() : "no response"}`);
  }

  // The document is rendered once its info block and its tags or operations are on the page; a
  // document that cannot be fetched or parsed shows an error box instead.
  await page
    .locator(".swagger-ui .information-container .info, .swagger-ui .errors-wrapper, .swagger-ui .loading-container .loading")
    .first()
    .waitFor({ state: "visible", timeout: WAIT_MS });
  await page
    .locator(".swagger-ui .opblock-tag, .swagger-ui .opblock, .swagger-ui .errors-wrapper")
    .first()
    .waitFor({ state: "visible", timeout: WAIT_MS });
  if (await page.locator(".swagger-ui .errors-wrapper").count()) {
    fail(`Swagger UI shows errors: ${(await page.locator(".swagger-ui .errors-wrapper").innerText()).trim()}`);
  }
  const title = (await page.locator(".swagger-ui .info .title").first().innerText()).trim().split("\n")[0];
  diagnostics.push(`document rendered: ${title}`);

  // With a token (the service runs with --auth jwt), authorize as a person would: the Authorize
  // button, the bearer field, Authorize, Close. Try it out then sends the token.
  const token = process.env.SWAGGER_UI_TOKEN;
  if (token) {
    await page.locator(".swagger-ui .auth-wrapper .authorize").first().click({ timeout: WAIT_MS });
    const modal = page.locator(".swagger-ui .modal-ux");
    await modal.waitFor({ state: "visible", timeout: WAIT_MS });
    await modal.locator("input").first().fill(token, { timeout: WAIT_MS });
    // Swagger UI labels these for screen readers ("Apply credentials"), so match them by their text.
    await modal.locator("button", { hasText: /^Authorize$/ }).click({ timeout: WAIT_MS });
    await modal.locator("button", { hasText: /^Logout$/ }).waitFor({ state: "visible", timeout: WAIT_MS });
    await modal.locator("button", { hasText: /^Close$/ }).click({ timeout: WAIT_MS });
    diagnostics.push("authorized with the bearer token");
  }

  const { id, block } = await findOperationBlock(page);
  const summary = block.locator(".opblock-summary").first();
  await summary.scrollIntoViewIfNeeded({ timeout: WAIT_MS });
  if (!(await block.evaluate((b) => b.classList.contains("is-open")))) {
    await block.locator(".opblock-summary-control, .opblock-summary").first().click({ timeout: WAIT_MS });
  }
  const body = block.locator(".opblock-body");
  await body.waitFor({ state: "visible", timeout: WAIT_MS });
  diagnostics.push(`expanded ${id.replace(/\\/g, "")}`);

  await block.getByRole("button", { name: "Try it out" }).click({ timeout: WAIT_MS });
  // In try-it-out mode the request body is an editable textarea holding the document's example.
  const editor = block.locator("textarea.body-param__text");
  await editor.waitFor({ state: "visible", timeout: WAIT_MS });
  const sent = await editor.inputValue();
  let example;
  try {
    example = JSON.parse(sent);
  } catch (e) {
    fail(`the request body editor does not hold JSON (${e.message}): ${sent.slice(0, 200)}`);
  }
  if (typeof example.serialNumber !== "string" || example.serialNumber === "") {
    fail(`the request body editor does not hold the example (no serialNumber): ${sent.slice(0, 200)}`);
  }

  const [request] = await Promise.all([
    page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === PATH, { timeout: WAIT_MS }),
    block.getByRole("button", { name: "Execute" }).click({ timeout: WAIT_MS }),
  ]);
  diagnostics.push(`sent POST ${request.url()}`);
  if (new URL(request.url()).origin !== new URL(url).origin) {
    fail(`the request went to ${new URL(request.url()).origin}, not to the server of the page`);
  }

  // The live response: the "Server response" table, not the documented responses below it.
  const live = block.locator(".live-responses-table tbody tr.response").first();
  await live.waitFor({ state: "visible", timeout: WAIT_MS });
  // The status cell holds the code, and "Undocumented" under it for a code the document lacks.
  const statusCell = (await live.locator(".response-col_status").first().innerText({ timeout: WAIT_MS })).trim();
  const status = /^\d{3}\b/.exec(statusCell)?.[0] ?? statusCell;
  const description = live.locator(".response-col_description");
  const bodyCode = description.locator(".highlight-code pre, pre.microlight").first();
  const rendered = (await bodyCode.count()) ? await bodyCode.innerText({ timeout: WAIT_MS }) : "";
  if (status !== "201") {
    const shown = (await description.innerText({ timeout: WAIT_MS })).trim().slice(0, 1000);
    fail(`the rendered response status is ${JSON.stringify(statusCell)}, not 201; the page shows: ${shown}`);
  }
  let created;
  try {
    created = JSON.parse(rendered);
  } catch (e) {
    fail(`the rendered response body is not JSON (${e.message}): ${rendered.slice(0, 500)}`);
  }
  if (typeof created.id !== "string" || !GUID.test(created.id)) {
    fail(`the rendered response body has no GUID id: ${rendered.slice(0, 500)}`);
  }
  if (created.serialNumber !== example.serialNumber) {
    fail(`the rendered response has serialNumber ${JSON.stringify(created.serialNumber)}, not the example's ${JSON.stringify(example.serialNumber)}`);
  }
  return created.id;
}

/** Playwright's messages carry terminal colours even into a pipe. */
function plain(text) {
  return String(text).replace(/\x1b\[[0-9;]*m/g, "");
}

async function main() {
  const [base, screenshot] = process.argv.slice(2);
  if (!base || !screenshot || !/^https?:\/\//.test(base)) {
    console.log("usage: node swagger_ui.mjs http://HOST:PORT SCREENSHOT.png");
    console.log("swagger-ui browser: 0 passed, 1 failed");
    return 1;
  }
  mkdirSync(dirname(screenshot), { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), "swagger-ui-chromium-"));
  const diagnostics = [];
  let context;
  let page;
  // Each runs once, however many ask (the end of the run, or a SIGTERM in the middle of it).
  let closing;
  let saving;
  const closeBrowser = () => (closing ??= context ? context.close().catch(() => {}) : Promise.resolve());
  const saveScreenshot = () =>
    (saving ??= page
      ? page.screenshot({ path: screenshot, fullPage: true, timeout: WAIT_MS }).then(
          () => console.error(`screenshot: ${screenshot}`),
          (e) => console.error(`cannot save the screenshot ${screenshot}: ${plain(e.message)}`),
        )
      : Promise.resolve());
  // A caller's timeout (tests/api/child.rs sends SIGTERM): the page is saved as it is, then closing
  // the browser makes the pending step fail, so the usual report, cleanup and exit code follow.
  process.once("SIGTERM", () => {
    diagnostics.push("stopped by SIGTERM");
    saveScreenshot().finally(closeBrowser);
  });
  let passed = false;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: EXECUTABLE,
      headless: true,
      args: ARGS,
      handleSIGTERM: false, // handled above
      timeout: WAIT_MS,
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(WAIT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => diagnostics.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && diagnostics.push(`console error: ${m.text()}`));
    page.on("requestfailed", (r) => diagnostics.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
    const id = await run(base, diagnostics, page);
    console.log(`swagger-ui: 201 ${id}`);
    passed = true;
  } catch (e) {
    console.log(`swagger-ui: FAILED: ${plain(e instanceof Error ? e.message : e)}`);
    for (const line of diagnostics) {
      console.log(`  ${plain(line)}`);
    }
  } finally {
    await saveScreenshot();
    await closeBrowser();
    try {
      rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch (e) {
      console.error(`cannot remove ${userDataDir}: ${e.message}`);
    }
  }
  console.log(`swagger-ui browser: ${passed ? "1 passed, 0 failed" : "0 passed, 1 failed"}`);
  return passed ? 0 : 1;
}

process.exitCode = await main();
