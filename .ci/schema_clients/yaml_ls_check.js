const {spawn} = require("child_process");
const fs = require("fs");
const [schemaPath, specPath] = process.argv.slice(2);
const text = `# yaml-language-server: $schema=file://${schemaPath}\n` + fs.readFileSync(specPath, "utf8");
const server = spawn("node", [process.env.NODE_MODULES + "/yaml-language-server/bin/yaml-language-server", "--stdio"]);
let buffer = Buffer.alloc(0), id = 0;
function send(msg) { const body = JSON.stringify({jsonrpc: "2.0", ...msg}); server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`); }
server.stdout.on("data", chunk => {
  buffer = Buffer.concat([buffer, chunk]);
  while (true) {
    const head = buffer.indexOf("\r\n\r\n"); if (head < 0) return;
    const len = parseInt(/Content-Length: (\d+)/.exec(buffer.slice(0, head).toString())[1]);
    if (buffer.length < head + 4 + len) return;
    const msg = JSON.parse(buffer.slice(head + 4, head + 4 + len).toString()); buffer = buffer.slice(head + 4 + len);
    if (msg.method === "workspace/configuration") send({id: msg.id, result: msg.params.items.map(() => ({validate: true, schemaStore: {enable: false}}))});
    else if (msg.id !== undefined && msg.method) send({id: msg.id, result: null});
    if (msg.method === "textDocument/publishDiagnostics") {
      console.log(JSON.stringify(msg.params.diagnostics.map(d => `${d.range.start.line}:${d.range.start.character} ${d.message}`)));
      server.kill(); process.exit(0);
    }
  }
});
send({id: ++id, method: "initialize", params: {processId: process.pid, rootUri: null, capabilities: {workspace: {configuration: true}}}});
send({method: "initialized", params: {}});
send({method: "workspace/didChangeConfiguration", params: {settings: {yaml: {validate: true, schemaStore: {enable: false}}}}});
send({method: "textDocument/didOpen", params: {textDocument: {uri: "file:///tmp/ajv11/spec.yaml", languageId: "yaml", version: 1, text}}});
setTimeout(() => { console.log("timeout"); server.kill(); process.exit(1); }, 20000);
