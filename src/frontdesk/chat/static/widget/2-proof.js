// -- the browser proof (docs/chat.md, "Flooding") -----------------------------------------
// SHA-256 over an ASCII string, small and synchronous (crypto.subtle is async per hash and
// missing on plain-http pages). The constants are the fractional parts of the square and
// cube roots of the first primes, computed here rather than listed.
var SHA_K = [], SHA_H = [];
(function () {
  function frac(x) { return ((x - Math.floor(x)) * 4294967296) >>> 0; }
  for (var n = 2, found = 0; found < 64; n++) {
    var prime = true;
    for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (!prime) continue;
    if (found < 8) SHA_H.push(frac(Math.sqrt(n)));
    SHA_K.push(frac(Math.cbrt(n)));
    found++;
  }
})();
function sha256Words(text) {
  var length = text.length, blocks = ((length + 8) >> 6) + 1, words = new Array(blocks * 16);
  for (var i = 0; i < words.length; i++) words[i] = 0;
  for (i = 0; i < length; i++) words[i >> 2] |= (text.charCodeAt(i) & 255) << (24 - (i % 4) * 8);
  words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
  words[words.length - 1] = length * 8;
  var h = SHA_H.slice(), w = new Array(64);
  for (var block = 0; block < words.length; block += 16) {
    var a = h[0], b = h[1], c = h[2], e = h[4], f = h[5], g = h[6], dd = h[3], hh = h[7];
    for (var t = 0; t < 64; t++) {
      if (t < 16) w[t] = words[block + t];
      else {
        var x = w[t - 15], y = w[t - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + SHA_K[t] + w[t]) | 0;
      var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (dd + t1) | 0; dd = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + dd) | 0;
    h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
  }
  return h;
}
function zeroBits(h) {
  for (var i = 0, bits = 0; i < 8; i++) {
    var word = h[i] >>> 0;
    if (word === 0) { bits += 32; continue; }
    return bits + Math.clz32(word);
  }
  return bits;
}
// Finds the nonce in slices, so the page stays responsive while it works.
function prove(proof, done) {
  var nonce = 0;
  (function slice() {
    var end = nonce + 4000;
    for (; nonce < end; nonce++) {
      if (zeroBits(sha256Words(proof.challenge + ":" + nonce)) >= proof.bits) return done(String(nonce));
    }
    setTimeout(slice, 0);
  })();
}

