// Generates Data/legacy-store/: a small multifeed directory written by hypercore 9.12 itself
// (random-access-file, as multifeed lays it out), plus legacy-store.json with what hypercore reports
// for each feed. Deterministic (seeded key pairs), so the bytes only change with the packages.
//   0/  writer "local": 5 blocks appended as [a, b] then c, d, e (one signature per append batch)
//   1/  a 20-block feed downloaded in full from a peer (no localname, no secret_key)
//   2/  the same kind of feed, downloaded sparsely: blocks 0, 5, 6 and 17 only
//   3/  a writer with no blocks (as cabal-core leaves a fresh local writer), named "second"
// Run: node gen-legacy-store.js Data   (needs ../shared/interop/node_modules)
const fs = require('fs')
const path = require('path')
const modules = (process.env.CABAL_SHARED || path.join(__dirname, '../../../../../shared')) + '/interop/node_modules/'
const hypercore = require(modules + 'hypercore')
const crypto = require(modules + 'hypercore-crypto')
const ram = require(modules + 'random-access-memory')
const raf = require(modules + 'random-access-file')

const out = path.resolve(process.argv[2] || path.join(__dirname))
const dir = path.join(out, 'legacy-store')
fs.rmSync(dir, { recursive: true, force: true })

function seed (n) { return Buffer.alloc(32, n) }
function storage (slot) { return name => raf(path.join(dir, String(slot), name)) }
function p (fn) { return new Promise((resolve, reject) => fn((err, v) => err ? reject(err) : resolve(v))) }
const value = (feed, i) => `{"type":"chat/text","content":{"channel":"default","text":"block ${i} of ${feed}"},"timestamp":${1600000000000 + i}}`

async function writer (slot, name, kp, batches) {
  fs.mkdirSync(path.join(dir, String(slot)), { recursive: true })
  fs.writeFileSync(path.join(dir, String(slot), 'localname'), name)
  const feed = hypercore(storage(slot), kp.publicKey, { secretKey: kp.secretKey })
  await p(cb => feed.ready(cb))
  let i = 0
  for (const n of batches) {
    const batch = []
    for (let k = 0; k < n; k++) batch.push(Buffer.from(value(slot, i++)))
    await p(cb => feed.append(batch, cb))
  }
  return feed
}

async function downloaded (slot, kp, length, wanted) {
  const src = hypercore(ram, kp.publicKey, { secretKey: kp.secretKey })
  await p(cb => src.ready(cb))
  for (let i = 0; i < length; i++) await p(cb => src.append(Buffer.from(value(slot, i)), cb))
  const dst = hypercore(storage(slot), kp.publicKey, { sparse: !!wanted })
  await p(cb => dst.ready(cb))
  const a = src.replicate(true, { live: true })
  const b = dst.replicate(false, { live: true })
  a.pipe(b).pipe(a)
  if (wanted) for (const i of wanted) await p(cb => dst.get(i, cb))
  else await p(cb => dst.download({ start: 0, end: length }, cb))
  a.destroy()
  b.destroy()
  return dst
}

async function describe (feed, slot) {
  const blocks = []
  for (let i = 0; i < feed.length; i++) {
    if (!feed.has(i)) continue
    blocks.push({ index: i, hex: (await p(cb => feed.get(i, { wait: false }, cb))).toString('hex') })
  }
  return { slot, key: feed.key.toString('hex'), length: feed.length, byteLength: feed.byteLength, writable: feed.writable, blocks }
}

;(async function () {
  const feeds = [
    await writer(0, 'local', crypto.keyPair(seed(1)), [2, 1, 1, 1]),
    await downloaded(1, crypto.keyPair(seed(2)), 20, null),
    await downloaded(2, crypto.keyPair(seed(3)), 20, [0, 5, 6, 17]),
    await writer(3, 'second', crypto.keyPair(seed(4)), [])
  ]
  const manifest = []
  for (let s = 0; s < feeds.length; s++) manifest.push(await describe(feeds[s], s))
  for (const f of feeds) await p(cb => f.close(cb))
  fs.writeFileSync(path.join(out, 'legacy-store.json'), JSON.stringify({ cabalKey: crypto.keyPair(seed(9)).publicKey.toString('hex'), feeds: manifest }, null, 1) + '\n')
  console.log('wrote', dir)
})().catch(err => { console.error(err); process.exit(1) })
