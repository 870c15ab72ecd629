/**
 * Test helper: headless Chromium (Debian `chromium`) driven over the Chrome DevTools Protocol on
 * `--remote-debugging-pipe` (fds 3 and 4, NUL-separated JSON, as puppeteer's PipeTransport does),
 * so no WebSocket client or npm package is needed and the browser can run inside a network
 * namespace (`ip netns exec` passes the pipes through). Runs as root with `--no-sandbox`, a
 * temporary profile, every call bounded by a timeout, and is always killed by close().
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** Why the browser tests must skip here, or undefined when chromium can run. */
export function chromiumSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, chromium --no-sandbox)';
  if (spawnSync('chromium', ['--version'], { timeout: 20_000 }).status !== 0)
    return 'chromium is not installed (apt-get install chromium)';
  return undefined;
}

/** A page (one target) of the browser. */
export interface Page {
  /** Sends a CDP method to the page's session. */
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Loads `url` and waits for its load event. */
  goto(url: string, timeoutMs?: number): Promise<void>;
  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy; returns its value. */
  waitFor<T = unknown>(expression: string, timeoutMs?: number, what?: string): Promise<T>;
  /** A real mouse click (Input.dispatchMouseEvent) at the centre of the element `selector`. */
  click(selector: string): Promise<void>;
  /** Types `text` into the focused element. */
  type(text: string): Promise<void>;
  /** Writes a PNG of the whole page to `file`. */
  screenshot(file: string): Promise<void>;
  /** Exceptions, console errors and CSP reports the page produced. */
  readonly problems: string[];
}

/** A running browser. */
export interface Browser {
  readonly proc: ChildProcess;
  newPage(width?: number, height?: number): Promise<Page>;
  close(): Promise<void>;
}

type Msg = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/**
 * Starts chromium; `spawnFn` runs it elsewhere (e.g. Netns.spawn for a namespace). Resolves once
 * the browser answers over the pipe.
 */
export async function launchChromium(
  spawnFn: (argv: readonly string[], options: SpawnOptions) => ChildProcess = (argv, options) =>
    spawn(argv[0]!, argv.slice(1), options),
  timeoutMs = 30_000,
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'lvsts-chromium-'));
  const proc = spawnFn(
    [
      'chromium',
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
      '--mute-audio',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const toBrowser = proc.stdio[3] as Writable;
  const fromBrowser = proc.stdio[4] as Readable;
  const pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  const listeners = new Set<(m: Msg) => void>();
  let nextId = 1;
  let buf = '';
  let exited = false;
  const exit = new Promise<void>((r) =>
    proc.once('exit', () => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`chromium exited: ${stderr}`));
      pending.clear();
      r();
    }),
  );
  fromBrowser.on('data', (b: Buffer) => {
    buf += b.toString('utf8');
    let i = buf.indexOf('\0');
    while (i >= 0) {
      const m = JSON.parse(buf.slice(0, i)) as Msg;
      buf = buf.slice(i + 1);
      if (m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) p?.reject(new Error(`CDP: ${m.error.message}`));
        else p?.resolve(m.result ?? {});
      } else for (const l of listeners) l(m);
      i = buf.indexOf('\0');
    }
  });
  toBrowser.on('error', () => {});
  const send = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
    ms = timeoutMs,
  ): Promise<Record<string, unknown>> => {
    if (exited) return Promise.reject(new Error(`chromium has exited: ${stderr}`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`CDP ${method} timed out after ${ms} ms`));
      }, ms);
      pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  };
  const close = async (): Promise<void> => {
    if (!exited) {
      void send('Browser.close', {}, undefined, 3000).catch(() => {});
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(t);
    }
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    await send('Browser.getVersion');
  } catch (e) {
    await close();
    throw e;
  }

  const newPage = async (width = 1400, height = 900): Promise<Page> => {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as {
      sessionId: string;
    };
    const problems: string[] = [];
    const waiters = new Set<(m: Msg) => void>();
    listeners.add((m) => {
      if (m.sessionId !== sessionId) return;
      const p = m.params ?? {};
      if (m.method === 'Runtime.exceptionThrown')
        problems.push(
          `exception: ${JSON.stringify((p.exceptionDetails as { exception?: unknown })?.exception ?? p)}`,
        );
      if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
        problems.push(`console.${String(p.type)}: ${JSON.stringify(p.args)}`);
      if (m.method === 'Log.entryAdded') {
        const e = p.entry as { level: string; text: string; source: string };
        if (e.level === 'error') problems.push(`${e.source}: ${e.text}`);
      }
      for (const w of waiters) w(m);
    });
    const s = (method: string, params: Record<string, unknown> = {}) => send(method, params, sessionId);
    await s('Page.enable');
    await s('Runtime.enable');
    await s('Log.enable');
    await s('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const evaluate = async <T>(expression: string): Promise<T> => {
      const r = (await s('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
        result: { value?: T };
        exceptionDetails?: { text: string; exception?: { description?: string } };
      };
      if (r.exceptionDetails)
        throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    };
    return {
      send: s,
      problems,
      evaluate,
      async goto(url, ms = timeoutMs) {
        const loaded = new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${url} did not load in ${ms} ms`)), ms);
          const w = (m: Msg) => {
            if (m.method === 'Page.loadEventFired') {
              clearTimeout(t);
              waiters.delete(w);
              resolve();
            }
          };
          waiters.add(w);
        });
        const r = (await s('Page.navigate', { url })) as { errorText?: string };
        if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
        await loaded;
      },
      async waitFor<T>(expression: string, ms = 10_000, what = expression): Promise<T> {
        const end = Date.now() + ms;
        let last: unknown;
        while (Date.now() < end) {
          last = await evaluate<T>(expression);
          if (last) return last as T;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
      },
      async click(selector) {
        const box = await evaluate<{ x: number; y: number } | null>(`(() => {
          const e = document.querySelector(${JSON.stringify(selector)});
          if (!e) return null;
          e.scrollIntoView({ block: 'center' });
          const r = e.getBoundingClientRect();
          return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
        })()`);
        if (!box) throw new Error(`no element ${selector}`);
        const at = { x: box.x, y: box.y, button: 'left', clickCount: 1 };
        await s('Input.dispatchMouseEvent', { type: 'mouseMoved', x: box.x, y: box.y });
        await s('Input.dispatchMouseEvent', { type: 'mousePressed', ...at });
        await s('Input.dispatchMouseEvent', { type: 'mouseReleased', ...at });
      },
      async type(text) {
        await s('Input.insertText', { text });
      },
      async screenshot(file) {
        const m = (await s('Page.getLayoutMetrics')) as { cssContentSize: { width: number; height: number } };
        const { data } = (await s('Page.captureScreenshot', {
          format: 'png',
          captureBeyondViewport: true,
          clip: {
            x: 0,
            y: 0,
            width: Math.ceil(m.cssContentSize.width),
            height: Math.min(4000, Math.ceil(m.cssContentSize.height)),
            scale: 1,
          },
        })) as { data: string };
        writeFileSync(file, Buffer.from(data, 'base64'));
      },
    };
  };
  return { proc, newPage, close };
}
