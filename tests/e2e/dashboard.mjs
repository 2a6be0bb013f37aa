// Drives the dashboard in headless Chromium as an operator would (called by crates/ingest-api/tests/api/browser.rs):
// sign in, see the detection a webhook just created, press "Send digests now", see the digests queued, and keep a
// screenshot. Usage: node dashboard.mjs <base url> <admin token> <expected title> <screenshot path>
import { chromium } from "playwright-core";

const [base, token, title, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const fail = (message) => { console.error(`dashboard test: ${message}`); process.exit(1); };

const browser = await chromium.launch({
  executablePath,
  headless: true,
  chromiumSandbox: false,
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
  await page.goto(`${base}/admin`);
  if (!(await page.isVisible("input#token"))) fail("the sign-in form is not shown");
  await page.fill("input#token", "not-the-token");
  await page.click("button[type=submit]");
  if (!(await page.textContent("body")).includes("That is not the admin token")) fail("a wrong token was not refused");
  await page.fill("input#token", token);
  await Promise.all([page.waitForURL(`${base}/admin`), page.click("button[type=submit]")]);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "pf_admin");
  if (!session || !session.httpOnly || session.sameSite !== "Strict") fail(`session cookie not HttpOnly+Strict: ${JSON.stringify(session)}`);
  if (!(await page.textContent("#recent")).includes(title)) fail(`the detection "${title}" is not on the dashboard`);
  await Promise.all([page.waitForURL(`${base}/admin?done=digests`), page.click("#send-digests")]);
  const flash = await page.textContent("#flash");
  if (!flash.includes("Digests queued")) fail(`no confirmation after pressing the button: ${flash}`);
  const runs = await page.textContent("#digest-runs");
  if (!/pending/.test(runs)) fail(`the manual digest run is not shown queued: ${runs}`);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log("dashboard test: signed in, saw the detection, queued digests, screenshot saved");
} finally {
  await browser.close();
}
