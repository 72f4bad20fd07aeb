// cabal-peer.js with multifeed's MANIFEST held back: every offer of feeds goes out only after
// MANIFEST_DELAY_MS (default 2000) ms. A reader that calls itself "in sync" before the remote's
// manifest has arrived reads nothing from such a peer. Same arguments and events as cabal-peer.js;
// run with NODE_PATH pointing at ../shared/interop/node_modules and the interop dir as cwd.
'use strict'
const path = require('path')
const Multiplexer = require('multifeed/mux')

const delay = Number(process.env.MANIFEST_DELAY_MS || 2000)
const offerFeeds = Multiplexer.prototype.offerFeeds
Multiplexer.prototype.offerFeeds = function (keys, opts) {
  const self = this
  setTimeout(function () { offerFeeds.call(self, keys, opts) }, delay)
}

require(path.join(process.cwd(), 'cabal-peer.js'))
