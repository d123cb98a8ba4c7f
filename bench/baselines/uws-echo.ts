// The ceiling for decide-http: uWebSockets.js reading the request body and answering a
// fixed JSON document — the same server stack as NBO, doing no work.
import { loadUws } from '../../src/serve/uws.js';

const uws = loadUws();
const reply = JSON.stringify({
  decisionId: 'x',
  customerId: 'c',
  channel: 'pos',
  rulesVersion: 'v',
  offers: [],
  degraded: false,
});
uws
  .App()
  .post('/v1/decide', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    res.onData((_chunk, last) => {
      if (last && !aborted) res.cork(() => res.writeHeader('content-type', 'application/json').end(reply));
    });
  })
  .listen('127.0.0.1', Number(process.env.PORT), (s) => {
    if (!s) process.exit(1);
    process.stdout.write('ready\n');
  });
