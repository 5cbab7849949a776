/**
 * The bytes of an HTTP/1.1 request head, as one latin1 string (header values from Node's parser
 * are latin1 strings, so writing them as latin1 sends the caller's bytes unchanged). A value
 * holding CR, LF or NUL would split the head and smuggle a second request, so it is refused;
 * Node's parser never yields one, but policies add values of their own.
 *
 * @example
 * ```ts
 * socket.write(requestHead('GET', '/orders/1', '127.0.0.1:3000', { accept: '*\/*' }, false), 'latin1');
 * ```
 */
export function requestHead(
  method: string,
  path: string,
  host: string,
  headers: Readonly<Record<string, string | readonly string[]>>,
  chunked: boolean,
): string {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const name in headers) {
    const value = headers[name] as string | readonly string[];
    if (typeof value === 'string') head += headerLine(name, value);
    else for (let i = 0; i < value.length; i++) head += headerLine(name, value[i] as string);
  }
  return chunked ? `${head}transfer-encoding: chunked\r\n\r\n` : `${head}\r\n`;
}

/**
 * One `name: value` line of a head. Refuses a value with CR, LF or NUL, which would end the line
 * early and let whoever chose the value write headers (or a whole message) of their own.
 *
 * @example
 * ```ts
 * headerLine('x-request-id', 'r-1'); // 'x-request-id: r-1\r\n'
 * ```
 */
export function headerLine(name: string, value: string): string {
  if (value.indexOf('\n') !== -1 || value.indexOf('\r') !== -1 || value.indexOf('\0') !== -1) {
    throw new TypeError(`header ${name} holds a line break or NUL; not forwarded`);
  }
  return `${name}: ${value}\r\n`;
}
