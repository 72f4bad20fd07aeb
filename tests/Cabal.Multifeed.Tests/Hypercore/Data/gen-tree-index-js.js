// Generates Data/tree-index-js.json: digests, proofs (with the remote-tree side effects), blocks()
// and bitfield-rle encodings computed by the JS packages themselves, over random (also partial)
// trees, for TreeIndexJsDifferentialTests. Deterministic (fixed LCG seed).
// Run: node gen-tree-index-js.js Data/tree-index-js.json   (needs ../shared/interop/node_modules)
const path = (process.env.CABAL_SHARED || require('path').join(__dirname, '../../../../../shared')) + '/interop/node_modules/'
const TreeIndex = require(path + 'hypercore/lib/tree-index.js')
const bitfield = require(path + 'sparse-bitfield')
const rle = require(path + 'bitfield-rle')
let seed = 12345
function rnd (n) { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
function bitsOf (t) { const out = []; for (let i = 0; i < t.bitfield.length; i++) if (t.get(i)) out.push(i); return out }
const digests = [], proofs = [], rles = []
for (let it = 0; it < 400; it++) {
  const t = new TreeIndex(bitfield())
  const n = rnd(40)
  const maxLeaf = 1 + rnd(70)
  for (let i = 0; i < n; i++) t.set(rnd(2 * maxLeaf))
  const x = 2 * rnd(maxLeaf + 5)
  digests.push({ bits: bitsOf(t), x, digest: t.digest(x) })
}
for (let it = 0; it < 500; it++) {
  const up = new TreeIndex(bitfield())
  const len = 1 + rnd(40)
  const full = rnd(3) !== 0
  if (full) { for (let i = 0; i < 2 * len; i += 2) up.set(i) }
  else { const k = rnd(60); for (let i = 0; i < k; i++) up.bitfield.set(rnd(2 * len + 2), true) }
  const upBits = bitsOf(up)
  const remote = new TreeIndex(bitfield())
  const k = rnd(3) === 0 ? 0 : rnd(10)
  for (let i = 0; i < k; i++) remote.set(rnd(2 * len + 2))
  const rBefore = bitsOf(remote)
  let digest
  const m = rnd(4)
  if (m === 0) digest = 0
  else if (m === 1) digest = remote.digest(2 * rnd(len))
  else digest = rnd(1 << 12)
  const x = 2 * rnd(len + 1)
  const hash = rnd(4) === 0
  const p = up.proof(x, { digest, tree: remote, hash })
  proofs.push({ up: upBits, remote: rBefore, x, digest, hash, result: p && { nodes: p.nodes, verifiedBy: p.verifiedBy }, remoteAfter: bitsOf(remote), blocks: up.blocks() })
}
for (let it = 0; it < 300; it++) {
  const len = rnd(it < 260 ? 40 : 300)
  const b = Buffer.alloc(len)
  for (let i = 0; i < len;) {
    const run = 1 + rnd(30), kind = rnd(4)
    for (let j = 0; j < run && i < len; j++, i++) b[i] = kind === 0 ? 0 : kind === 1 ? 255 : kind === 2 ? rnd(256) : (rnd(2) ? 255 : 0)
  }
  rles.push({ input: b.toString('hex'), encoded: rle.encode(b).toString('hex') })
}
require('fs').writeFileSync(process.argv[2], JSON.stringify({ digests, proofs, rles }))

