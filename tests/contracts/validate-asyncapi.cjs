// node validate-asyncapi.cjs FILE...: validates AsyncAPI documents with the AsyncAPI
// initiative's parser. Exits 1 when any has an error; remote $refs are refused, so a document
// cannot pass by fetching what it lacks (and nothing is fetched at all).
const fs = require('fs');
const path = require('path');
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');

const refuse = { read: async (url) => { throw new Error(`remote $ref not allowed: ${url}`); } };
const parser = new Parser({
  __unstable: { resolver: { resolvers: [
    { schema: 'http', order: 0, ...refuse },
    { schema: 'https', order: 0, ...refuse },
  ] } },
});
const severities = ['error', 'warning', 'info', 'hint'];

async function validate(file) {
  const text = fs.readFileSync(file, 'utf8');
  const { document, diagnostics } = await parser.parse(text, { source: path.resolve(file) });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  for (const d of diagnostics.filter((d) => d.severity <= DiagnosticSeverity.Warning)) {
    console.error(`${file}: ${severities[d.severity]} ${d.code} at /${d.path.join('/')}: ${d.message}`);
  }
  if (!document || errors.length) {
    console.error(`${file}: INVALID (${errors.length} errors)`);
    return false;
  }
  console.log(`${file}: valid AsyncAPI ${document.version()}: ` +
    `${document.channels().length} channel, ${document.operations().length} operations, ` +
    `${document.messages().length} messages`);
  return true;
}

(async () => {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: node validate-asyncapi.cjs FILE...');
    process.exit(2);
  }
  let ok = true;
  for (const file of files) ok = (await validate(file)) && ok;
  process.exit(ok ? 0 : 1);
})().catch((error) => { console.error(error); process.exit(2); });
