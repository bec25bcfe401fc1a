// The other side of TestSignaturesAgainstJoyent: joyent's http-signature (npm), an independent implementation
// of draft-cavage-http-signatures, verifies a request the blog signed, or signs one for the blog to verify.
// Reads one JSON object on standard input, writes one on standard output.
const httpSignature = require('http-signature');
const crypto = require('crypto');

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const job = JSON.parse(input);
  if (job.mode === 'verify') {
    const headers = {};
    for (const [k, v] of Object.entries(job.headers)) headers[k.toLowerCase()] = v;
    const req = { method: job.method, url: job.path, httpVersion: '1.1', headers };
    try {
      const parsed = httpSignature.parseRequest(req, { clockSkew: 600 });
      const ok = httpSignature.verifySignature(parsed, job.publicKey);
      process.stdout.write(JSON.stringify({ ok, keyId: parsed.keyId, headers: parsed.params.headers }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ ok: false, error: String(e) }));
    }
    return;
  }
  // sign: a POST with a Digest, as Mastodon signs its deliveries.
  const stored = {};
  const req = {
    method: job.method, path: job.path,
    getHeader: (n) => stored[n.toLowerCase()],
    setHeader: (n, v) => { stored[n.toLowerCase()] = v; },
  };
  req.setHeader('host', job.host);
  req.setHeader('date', new Date().toUTCString());
  req.setHeader('digest', 'SHA-256=' + crypto.createHash('sha256').update(job.body).digest('base64'));
  httpSignature.signRequest(req, {
    key: job.privateKey, keyId: job.keyId, algorithm: 'rsa-sha256',
    headers: ['(request-target)', 'host', 'date', 'digest'],
  });
  process.stdout.write(JSON.stringify({ headers: stored }));
});
