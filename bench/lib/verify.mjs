// Proof that a contender proxied correctly: a fast proxy that answers errors must be flagged,
// never ranked. Load generators count statuses but do not read bodies, so the body is checked
// here, before and after every measured run, and the byte count of the run is compared with
// the size of one good response.
import { connect } from 'node:net';
import { request } from 'undici';

/** Sends `count` requests; every one must be 200 with exactly the upstream's body. */
export async function probe(url, expectedBody, count = 20, headers = {}) {
  for (let i = 0; i < count; i++) {
    try {
      const { statusCode, body } = await request(url, { headers, headersTimeout: 2_000, bodyTimeout: 2_000 });
      const text = await body.text();
      if (statusCode !== 200) return `status ${statusCode}: ${text.slice(0, 120)}`;
      if (text !== expectedBody) return `wrong body ${JSON.stringify(text.slice(0, 80))}`;
    } catch (error) {
      return `request failed: ${error.code ?? error.message}`;
    }
  }
  return '';
}

/**
 * Bytes on the wire of one response (status line, headers and body) to a request like wrk's,
 * so a run's bytes ÷ requests shows whether the responses under load were the same ones.
 */
export function responseBytes(url, headers = {}) {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response from ${url} in 2 s`));
    }, 2_000);
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.on('connect', () => socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${extra}\r\n`));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const size = completeSize(Buffer.concat(chunks));
      if (size === undefined) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(size);
    });
  });
}

/** The size of the first complete response in `buffer`, or undefined while it is incomplete. */
function completeSize(buffer) {
  const headerEnd = buffer.indexOf('\r\n\r\n');
  if (headerEnd === -1) return undefined;
  const head = buffer.subarray(0, headerEnd).toString('latin1');
  const length = /^content-length:\s*(\d+)/im.exec(head);
  if (length) {
    const size = headerEnd + 4 + Number(length[1]);
    return buffer.length >= size ? size : undefined;
  }
  if (/^transfer-encoding:\s*chunked/im.test(head)) {
    const end = buffer.indexOf('\r\n0\r\n\r\n', headerEnd);
    return end === -1 ? undefined : end + 7;
  }
  return undefined;
}
