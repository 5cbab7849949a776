// `npm start`: Portico on embedded defaults plus two instances of the hello example, so a new
// user can `curl localhost:8080/api/hello/you` at once. Ctrl-C stops all three, gracefully.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const portico = spawn(process.execPath, ['packages/portico/dist/cli/main.js', 'start'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const children = [portico];

const adminUrl = await new Promise((resolve, reject) => {
  portico.once('exit', (code) => reject(new Error(`portico exited with code ${code}`)));
  createInterface({ input: portico.stdout }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    try {
      const entry = JSON.parse(line);
      if (entry.msg === 'portico started') resolve(entry.admin);
    } catch {
      // not a log line
    }
  });
}).catch((error) => {
  console.error(`npm start: ${error.message}`);
  process.exit(1);
});

for (const name of ['hello-1', 'hello-2']) {
  const child = spawn(process.execPath, ['examples/hello/dist/main.js'], {
    stdio: 'inherit',
    env: { ...process.env, PORTICO_REGISTRY_URL: adminUrl, HELLO_INSTANCE: name },
  });
  children.push(child);
}

const publicPort = process.env.PORTICO_PUBLIC_PORT ?? '8080';
setTimeout(() => {
  console.log(
    `\nPortico is up. Try:\n  curl localhost:${publicPort}/api/hello/you\n  curl ${adminUrl}/v1/registry/services/hello\nCtrl-C stops everything.\n`,
  );
}, 500).unref();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // Services first (they deregister and drain), then Portico.
    for (const child of children.slice(1)) child.kill('SIGTERM');
    Promise.all(children.slice(1).map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))))).then(
      () => portico.kill('SIGTERM'),
    );
    portico.once('exit', () => process.exit(0));
  });
}
