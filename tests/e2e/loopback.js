// Keeps the playground's servers on loopback: every listen() without a host gets 127.0.0.1.
const net = require('net');
const orig = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  else if (typeof args[0] === 'object' && args[0] && !args[0].host && args[0].port !== undefined) args[0] = {...args[0], host: '127.0.0.1'};
  return orig.apply(this, args);
};
