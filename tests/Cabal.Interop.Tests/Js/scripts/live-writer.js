// A JS hypercore 9 writer that appends whatever arrives on stdin, one block per line, while it
// replicates live over TCP on 127.0.0.1. Our own small test fixture (hypercore-peer.js only
// appends before it connects). Run with NODE_PATH pointing at ../shared/interop/node_modules.
// stdout: one JSON event per line: feed {key}, listening {port}, appended {index}.
'use strict'
const net = require('net')
const hypercore = require('hypercore')
const ram = require('random-access-memory')

function emit (event, fields) { process.stdout.write(JSON.stringify(Object.assign({ event }, fields)) + '\n') }

const feed = hypercore(ram, { valueEncoding: 'binary' })
feed.ready(function () {
  emit('feed', { key: feed.key.toString('hex') })
  const server = net.createServer(function (socket) {
    const stream = feed.replicate(false, { live: true })
    stream.pipe(socket).pipe(stream)
    socket.on('error', function () {})
    stream.on('error', function () {})
  })
  server.listen(0, '127.0.0.1', function () { emit('listening', { port: server.address().port }) })
  let pending = ''
  process.stdin.on('data', function (chunk) {
    pending += chunk.toString('utf8')
    let nl
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      feed.append(Buffer.from(line), function (err, seq) {
        if (err) return emit('error', { message: err.message })
        emit('appended', { index: seq })
      })
    }
  })
  setTimeout(function () { process.exit(0) }, 60000).unref()
})
