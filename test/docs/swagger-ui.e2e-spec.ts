import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Swagger UI in a real browser (Debian's chromium, headless): authorise with a token, create the
 * NHS example through "Try it out" twice (the page gives each try a fresh identifier), then search
 * for the patient and find the record. Screenshots go to test-artifacts/swagger-ui/ (gitignored).
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '../../test-artifacts/swagger-ui');
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The NHS number of examples/immunization-create.json. */
const EXAMPLE_NHS_NUMBER = '9449310475';

describe('Swagger UI in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const offHost: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(60_000);
    // Nothing may leave the machine: anything not served by the app under test is refused and noted.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(t.url) || url.startsWith('data:')) return route.continue();
      offHost.push(url);
      return route.abort();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function open(operationId: string, tag = 'Immunization') {
    const block = page.locator(`#operations-${tag}-${operationId}`);
    await block.locator('.opblock-summary-control').first().click({ noWaitAfter: true });
    await block.locator('.try-out__btn').click({ noWaitAfter: true });
    return block;
  }

  async function execute(block: ReturnType<Page['locator']>) {
    // A previous answer is cleared first, so the one read below is this request's.
    if ((await block.locator('button.btn-clear').count()) > 0) {
      await block.locator('button.btn-clear').click({ noWaitAfter: true });
      await block.locator('.live-responses-table').waitFor({ state: 'detached' });
    }
    await block.locator('button.execute').click({ noWaitAfter: true });
    await block.locator('.live-responses-table tr.response').waitFor();
    const status = (await block.locator('.live-responses-table tr.response .response-col_status').first().innerText()).trim();
    const body = await block.locator('.live-responses-table tr.response .response-col_description').first().innerText();
    return { status, body };
  }

  it('authorises, creates the example twice (201, 201) and finds the records by searching', async () => {
    await page.goto(`${t.url}/docs`);
    await page.locator('.swagger-ui .information-container').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '1-overview.png'), fullPage: false });

    const token = await t.tokenFor('ALL');
    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('.modal-ux input[type=text]').fill(token);
    await page.locator('.modal-ux .auth-btn-wrapper button.authorize').click();
    await page.locator('.modal-ux .auth-btn-wrapper button.btn-done').click();
    await expect(page.locator('.auth-wrapper button.authorize.locked').count()).resolves.toBe(1);

    const create = await open('createImmunization');
    const first = await execute(create);
    expect(first.status).toBe('201');
    const location = /location:\s*(\S+\/Immunization\/([0-9a-f-]{36}))/i.exec(first.body);
    expect(location).not.toBeNull();
    await create.locator('.live-responses-table tr.response').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '2-create-201.png'), fullPage: false });
    const second = await execute(create);
    expect(second.status).toBe('201');
    const secondId = /location:\s*\S+\/Immunization\/([0-9a-f-]{36})/i.exec(second.body)?.[1];
    expect(secondId).toBeDefined();
    expect(secondId).not.toBe(location![2]);

    const search = await open('searchImmunizationGet');
    await search.locator('tr[data-param-name="patient.identifier"] input').fill(`https://fhir.nhs.uk/Id/nhs-number|${EXAMPLE_NHS_NUMBER}`);
    await search.locator('tr[data-param-name="-immunization.target"] select').selectOption('COVID');
    const found = await execute(search);
    expect(found.status).toBe('200');
    expect(found.body).toContain(location![2]);
    expect(found.body).toContain(secondId!);
    expect(found.body).toContain('"searchset"');
    await search.locator('.live-responses-table').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, '3-search-200.png'), fullPage: false });

    expect(offHost).toEqual([]);
    // Generous: on an idle machine the whole test takes ~20 s; a loaded CI machine is many times slower.
  }, 240_000);
});
