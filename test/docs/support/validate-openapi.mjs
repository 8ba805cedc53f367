// Validates the OpenAPI document on stdin with @apidevtools/swagger-parser (an ES module, so it
// runs here in plain Node rather than inside Jest's CommonJS runtime). Prints "valid" or the error.
import SwaggerParser from '@apidevtools/swagger-parser';

let text = '';
for await (const chunk of process.stdin) text += chunk;
try {
  await SwaggerParser.validate(JSON.parse(text));
  process.stdout.write('valid\n');
} catch (e) {
  process.stdout.write(`invalid: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
