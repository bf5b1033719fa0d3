/**
 * Bounded HTTP serving, shared by the `/retrieve` server (server.ts) and the OpenAI-compatible
 * `serve` (serving/server.ts): every resource a client can hold is bounded in size or time.
 *
 * - **Request head**: `Deno.serve` has no header read timeout (a half-sent request head stays
 *   open forever), so {@link serveGuarded} listens itself and passes each connection to an
 *   internal `Deno.serve` (a Unix socket, loopback TCP on Windows) only once the head
 *   (`...\r\n\r\n`, at most {@link MAX_HEAD_BYTES}) has arrived within `headerTimeoutMs`;
 *   otherwise it answers 408 (431 for an oversized head) and closes. Every response carries
 *   `Connection: close`, so a connection holds one request and a later half-sent head is
 *   never exempt from the timeout.
 * - **Request body**: {@link readBody} refuses a declared `Content-Length` over `maxBodyBytes`
 *   at once and stops reading a streamed one at the limit (413), and answers 408 when the body
 *   has not arrived within `bodyTimeoutMs`.
 * - **Work**: handlers run long loops through a {@link TimeSlicer}, which yields to the event
 *   loop every `sliceMs` (10 ms) of work so that `/health` and small requests are answered
 *   between slices of a large one (cooperative time slicing; the size of a request's work is
 *   bounded by each server's own limits). Every step of a request through the guard calls
 *   {@link noteActivity}, so while other requests move, slices are 2 ms (time_slicer.ts).
 *
 * @module
 */
import { type HttpLimits, resolveLimits } from "./http_limits.ts";
import { noteActivity } from "./time_slicer.ts";

export { DEFAULT_HTTP_LIMITS, type HttpLimits, resolveLimits } from "./http_limits.ts";
export { type BodyResult, readBody } from "./http_body.ts";
export {
  BUSY_WINDOW_MS,
  noteActivity,
  sinceActivityMs,
  TimeSlicer,
  type TimeSlicerOptions,
} from "./time_slicer.ts";

/** Largest request head accepted by {@link serveGuarded} (bytes); larger gets 431. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Options of {@link serveGuarded}. */
export interface GuardedServeOptions extends HttpLimits {
  hostname: string;
  port: number;
}

/** A server started by {@link serveGuarded}. */
export interface GuardedServer {
  /** The public address. */
  hostname: string;
  port: number;
  /** Stop accepting, wait for in-flight requests, close every connection. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
}

function endOfHead(buf: Uint8Array, from: number): number {
  for (let i = Math.max(3, from); i < buf.length; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

function rawResponse(status: number, reason: string, message: string): Uint8Array {
  const body = JSON.stringify({
    detail: message,
    error: { message, type: "invalid_request_error" },
  });
  return new TextEncoder().encode(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${
        new TextEncoder().encode(body).length
      }\r\nconnection: close\r\n\r\n${body}`,
  );
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/**
 * Copy one HTTP/1.1 response (after any 1xx interim responses) from `from` to `to`, ending at
 * its Content-Length (or at end of stream when it has none).
 */
async function relayResponse(from: Deno.Conn, to: Deno.Conn, isHead: boolean): Promise<void> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(64 * 1024);
  const more = async (): Promise<boolean> => {
    const n = await from.read(chunk);
    noteActivity();
    if (n === null) return false;
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
    return true;
  };
  for (;;) {
    let end = endOfHead(buf, 0);
    while (end < 0) {
      if (!(await more())) {
        if (buf.length > 0) await writeAll(to, buf);
        return;
      }
      end = endOfHead(buf, 0);
    }
    const head = new TextDecoder().decode(buf.subarray(0, end));
    const status = Number(head.slice(9, 12));
    if (status >= 100 && status < 200) { // interim (100 Continue): pass on, read the next head
      await writeAll(to, buf.subarray(0, end));
      buf = buf.slice(end);
      continue;
    }
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const noBody = isHead || status === 204 || status === 304;
    if (m === null && !noBody) { // no length: until the server closes
      await writeAll(to, buf);
      while (await more()) {
        await writeAll(to, buf);
        buf = new Uint8Array(0);
      }
      return;
    }
    // stream the body on as it comes, up to its length
    let left = end + (noBody ? 0 : Number(m![1]));
    let part = buf.subarray(0, Math.min(left, buf.length));
    for (;;) {
      await writeAll(to, part);
      noteActivity();
      left -= part.length;
      if (left <= 0) return;
      const n = await from.read(chunk);
      if (n === null) return;
      part = chunk.subarray(0, Math.min(left, n));
    }
  }
}

/**
 * Serve `handler` on `hostname:port` behind the head timeout described in the module doc.
 * The handler should read bodies with {@link readBody} (the guard does not look at bodies).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const server = serveGuarded(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 });
 * const res = await fetch(`http://127.0.0.1:${server.port}/`);
 * assert.equal(await res.text(), "ok");
 * assert.equal(res.headers.get("connection"), "close");
 * await server.shutdown();
 * ```
 */
export function serveGuarded(
  handler: (req: Request) => Response | Promise<Response>,
  opts: GuardedServeOptions,
): GuardedServer {
  const { headerTimeoutMs } = resolveLimits(opts, "serveGuarded");
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new RangeError(`serveGuarded: port must be an integer in [0, 65535], got ${opts.port}`);
  }
  const listener = Deno.listen({ hostname: opts.hostname, port: opts.port });
  const unix = Deno.build.os !== "windows";
  const dir = unix ? Deno.makeTempDirSync({ prefix: "creditlab-http-" }) : "";
  // Bodies are buffered so every response has a Content-Length: the relay knows where the
  // response ends (Deno.serve ignores a handler's "Connection: close" and may keep the
  // connection open, e.g. after an unread request body).
  const wrapped = async (req: Request): Promise<Response> => {
    noteActivity();
    const res = await handler(req);
    noteActivity();
    const body = res.body === null ? null : new Uint8Array(await res.arrayBuffer());
    const headers = new Headers(res.headers);
    headers.set("connection", "close");
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  };
  const inner: Deno.HttpServer = unix
    ? Deno.serve({ transport: "unix", path: `${dir}/s.sock`, onListen() {} }, wrapped)
    : Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, wrapped);
  const innerAddr: Deno.ConnectOptions | Deno.UnixConnectOptions = unix
    ? { transport: "unix", path: `${dir}/s.sock` }
    : { hostname: "127.0.0.1", port: (inner.addr as Deno.NetAddr).port };
  const open = new Set<Deno.Conn>();
  const closeConn = (c: Deno.Conn) => {
    if (!open.delete(c)) return;
    try {
      c.close();
    } catch { /* already closed */ }
  };

  const relay = async (client: Deno.Conn) => {
    noteActivity();
    open.add(client);
    let upstream: Deno.Conn | null = null;
    const timer = setTimeout(async () => {
      await writeAll(
        client,
        rawResponse(
          408,
          "Request Timeout",
          `the request head did not arrive within ${headerTimeoutMs} ms`,
        ),
      ).catch(() => {});
      closeConn(client);
    }, headerTimeoutMs);
    try {
      let buf = new Uint8Array(0);
      const chunk = new Uint8Array(16 * 1024);
      for (;;) {
        const n = await client.read(chunk);
        noteActivity();
        if (n === null) return;
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        const from = buf.length - 3;
        buf = next;
        if (endOfHead(buf, from) >= 0) break;
        if (buf.length > MAX_HEAD_BYTES) {
          await writeAll(
            client,
            rawResponse(
              431,
              "Request Header Fields Too Large",
              `the request head is over ${MAX_HEAD_BYTES} bytes`,
            ),
          );
          return;
        }
      }
      clearTimeout(timer);
      upstream = await Deno.connect(innerAddr as Deno.ConnectOptions);
      noteActivity();
      open.add(upstream);
      await writeAll(upstream, buf);
      noteActivity();
      const up = upstream;
      const head = new TextDecoder().decode(buf.subarray(0, endOfHead(buf, 0)));
      // client -> server until either side closes; server -> client until the response ends,
      // then both are closed (one request per connection).
      const toServer = client.readable.pipeTo(up.writable, { preventClose: true }).catch(() => {});
      await relayResponse(up, client, /^HEAD /i.test(head));
      closeConn(client);
      closeConn(up);
      await toServer;
    } catch {
      // a connection reset mid-request: nothing to answer
    } finally {
      clearTimeout(timer);
      closeConn(client);
      if (upstream) closeConn(upstream);
    }
  };

  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // the listener was closed
      }
      void relay(conn);
    }
  })();

  let stopping: Promise<void> | null = null;
  const shutdown = () => {
    stopping ??= (async () => {
      try {
        listener.close();
      } catch { /* already closed */ }
      await accepting;
      await inner.shutdown();
      for (const c of [...open]) closeConn(c);
      if (unix) await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();
    return stopping;
  };
  const addr = listener.addr as Deno.NetAddr;
  return {
    hostname: addr.hostname,
    port: addr.port,
    shutdown,
    finished: inner.finished.then(() => stopping ?? undefined),
  };
}

/**
 * The base URL of a guarded server, e.g. `http://127.0.0.1:8000` (an IPv6 host in brackets).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(guardedUrl({ hostname: "::1", port: 8000 }), "http://[::1]:8000");
 * ```
 */
export function guardedUrl(server: Pick<GuardedServer, "hostname" | "port">): string {
  const host = server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname;
  return `http://${host}:${server.port}`;
}

/** A guarded server as a service returns it: its base URL, port, `shutdown` and `finished`. */
export interface GuardedService extends Pick<GuardedServer, "port" | "shutdown" | "finished"> {
  /** Base URL ({@link guardedUrl}). */
  url: string;
}

/** `server` as a service returns it ({@link GuardedService}). */
export function guardedService(server: GuardedServer): GuardedService {
  return {
    url: guardedUrl(server),
    port: server.port,
    shutdown: () => server.shutdown(),
    finished: server.finished,
  };
}
