#!/usr/bin/env node
'use strict'
// The JS side of `perf dht` (the C# twin is `perf dht-peer`): one HyperDHT node on a loopback testnet,
// made through ../shared/interop/lib/dht.js (host 127.0.0.1, explicit loopback bootstrap, the
// udx guard), in one of two modes. Every stdout line is one JSON event.
//
//   client: times --runs announces (fresh topics), lookups of --topic, connections to --connect
//           (until the secret-stream is open), and echoes --bytes through each connection;
//           prints {"event":"result", announceMs, lookupMs, lookupPeers, connectMs, echoMbps}.
//   node:   a persistent node (ephemeral: false) that serves until --timeout; prints "ready" with its port.
//
// node perf/js/dht-client.js --interop ../shared/interop --bootstrap 127.0.0.1:PORT --mode client|node [...]
const path = require('path')
const crypto = require('crypto')

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1]
const interop = path.resolve(args.interop || path.join(__dirname, '..', '..', '..', 'shared', 'interop'))
const D = require(path.join(interop, 'lib', 'dht'))
const C = require(path.join(interop, 'lib', 'common'))
const B = require(path.join(interop, 'lib', 'bulk'))
const DHT = require(path.join(interop, 'node_modules', 'hyperdht'))

const runs = Number(args.runs || 10)
const bytes = Number(args.bytes || 4 << 20)
const timeout = Number(args.timeout || 300)
const bootstrap = D.parseBootstrap([args.bootstrap])

setTimeout(function () { C.emit('timeout', {}); process.exit(2) }, timeout * 1000).unref()

function ms (t0) { return Number(process.hrtime.bigint() - t0) / 1e6 }

async function echo (socket, n) {
  const t0 = process.hrtime.bigint()
  let got = 0
  const done = new Promise(function (resolve, reject) {
    socket.on('data', function (d) { got += d.length; if (got >= n) resolve() })
    socket.on('error', reject)
    socket.on('close', function () { if (got < n) reject(new Error('closed after ' + got + ' bytes')) })
  })
  for (let off = 0; off < n; off += 65536) {
    if (!socket.write(B.pattern(off, Math.min(65536, n - off)))) await new Promise(function (resolve) { socket.once('drain', resolve) })
  }
  await done
  return (n * 8 / 1e6) / (ms(t0) / 1000)
}

async function client (dht) {
  const keyPair = DHT.keyPair()
  const announceMs = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    await dht.announce(crypto.randomBytes(32), keyPair).finished()
    announceMs.push(ms(t0))
  }
  const lookupMs = []
  let lookupPeers = 0
  if (args.topic) {
    const topic = Buffer.from(args.topic, 'hex')
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint()
      const peers = new Set()
      for await (const reply of dht.lookup(topic)) for (const p of reply.peers) peers.add(p.publicKey.toString('hex'))
      lookupMs.push(ms(t0))
      lookupPeers = peers.size
    }
  }
  const connectMs = []
  const echoMbps = []
  if (args.connect) {
    const key = Buffer.from(args.connect, 'hex')
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint()
      const socket = dht.connect(key)
      socket.on('error', function () {})
      if (!(await socket.opened)) throw new Error('connection did not open')
      connectMs.push(ms(t0))
      if (bytes > 0) echoMbps.push(await echo(socket, bytes))
      const closed = new Promise(function (resolve) { socket.once('close', resolve) })
      socket.destroy()
      await closed
    }
  }
  C.emit('result', { announceMs, lookupMs, lookupPeers, connectMs, echoMbps })
}

async function main () {
  const dht = D.createDHT(bootstrap, args.mode === 'node' ? { ephemeral: false } : {})
  await dht.fullyBootstrapped()
  C.emit('ready', { port: dht.address().port, firewalled: dht.firewalled, ephemeral: dht.ephemeral })
  if (args.mode === 'node') {
    await new Promise(function (resolve) { process.on('SIGTERM', resolve) })
  } else {
    await client(dht)
  }
  await dht.destroy()
  process.exit(0)
}

main().catch(function (err) { C.emit('error', { message: err.message }); process.exit(1) })
